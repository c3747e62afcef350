import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { T2LError } from '../../../src/core/errors';
import { unpickle } from '../../../src/core/checkpoint/pickle';
import { readTorchCheckpoint, readTorchStateDict } from '../../../src/core/checkpoint/torch-file';
import { writeTorchStateDict } from '../../../src/core/checkpoint/torch-writer';
import { makeRandomCheckpoint } from '../../../src/fixtures/random-checkpoint';
import type { Tensor } from '../../../src/core/tensor';

const CONFORMANCE = join(__dirname, '../../fixtures/conformance');
const index = JSON.parse(readFileSync(join(CONFORMANCE, 'index.json'), 'utf8')) as {
  variants: Record<string, { params: number; state_dict_keys: number }>;
};

function fixture(variant: string): Uint8Array {
  return new Uint8Array(readFileSync(join(CONFORMANCE, variant, 'hypermod.pt')));
}

function expectT2LError(fn: () => unknown, code: string, message: RegExp | string): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(T2LError);
  expect((caught as T2LError).code).toBe(code);
  if (typeof message === 'string') expect((caught as T2LError).message).toBe(message);
  else expect((caught as T2LError).message).toMatch(message);
}

// --- a tiny pickle assembler, to craft what our writer never produces (protocol 4 opcodes,
// --- non-contiguous strides, other storage types, hostile globals) ---

const utf8 = (s: string) => [...new TextEncoder().encode(s)];
const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
const str = (s: string) => [0x8c, utf8(s).length, ...utf8(s)]; // SHORT_BINUNICODE
const int = (n: number) => [0x4a, ...u32(n)]; // BININT
const ints = (xs: number[]) => [0x28, ...xs.flatMap(int), 0x74]; // MARK ... TUPLE
const stackGlobal = (mod: string, name: string) => [...str(mod), ...str(name), 0x93];

interface CraftEntry {
  name: string;
  storage: string; // e.g. "HalfStorage"
  key: string;
  numel: number;
  offset: number;
  size: number[];
  stride: number[];
  parameter?: boolean;
}

/** A protocol-4 style state dict pickle: FRAME, MEMOIZE, STACK_GLOBAL, and a BUILD with _metadata. */
function craftPickle(entries: CraftEntry[]): Uint8Array {
  const body: number[] = [0x80, 4, 0x95, ...u32(0), ...u32(0)];
  body.push(...stackGlobal('collections', 'OrderedDict'), 0x94, 0x29, 0x52, 0x94, 0x28);
  for (const e of entries) {
    body.push(...str(e.name));
    if (e.parameter) body.push(...stackGlobal('torch._utils', '_rebuild_parameter'), 0x28);
    body.push(...stackGlobal('torch._utils', '_rebuild_tensor_v2'), 0x94, 0x28, 0x28);
    body.push(...str('storage'), ...stackGlobal('torch', e.storage), ...str(e.key), ...str('cpu'));
    body.push(...int(e.numel), 0x74, 0x51, ...int(e.offset), ...ints(e.size), ...ints(e.stride));
    body.push(0x89, 0x68, 0, 0x29, 0x52, 0x74, 0x52); // NEWFALSE, BINGET 0 (OrderedDict) () REDUCE
    if (e.parameter) body.push(0x89, 0x68, 0, 0x29, 0x52, 0x74, 0x52);
  }
  body.push(0x75); // SETITEMS
  body.push(0x7d, ...str('_metadata'), 0x7d, 0x73, 0x62, 0x2e); // {'_metadata': {}} BUILD STOP
  return new Uint8Array(body);
}

function craftZip(files: Record<string, Uint8Array | number[] | string>): Uint8Array {
  const out: Record<string, Uint8Array> = {};
  for (const [name, v] of Object.entries(files)) {
    out[`archive/${name}`] =
      typeof v === 'string'
        ? new TextEncoder().encode(v)
        : v instanceof Uint8Array
          ? v
          : new Uint8Array(v);
  }
  return zipSync(out, { level: 0 });
}

function f32(values: number[], littleEndian = true): Uint8Array {
  const b = new Uint8Array(values.length * 4);
  const v = new DataView(b.buffer);
  values.forEach((x, i) => v.setFloat32(i * 4, x, littleEndian));
  return b;
}

function u16(values: number[]): Uint8Array {
  return new Uint8Array(new Uint16Array(values).buffer);
}

describe('readTorchStateDict on the conformance checkpoints', () => {
  for (const [variant, info] of Object.entries(index.variants)) {
    it(`${variant}: ${info.state_dict_keys} keys, ${info.params} parameters`, () => {
      const sd = readTorchStateDict(fixture(variant), `${variant}/hypermod.pt`);
      expect(sd.size).toBe(info.state_dict_keys);
      let params = 0;
      for (const t of sd.values()) {
        expect(t.data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
        expect(t.sourceDType).toBe('float32');
        params += t.data.length;
      }
      expect(params).toBe(info.params);
      // file order: torch writes the AB offsets first and the heads last
      expect([...sd.keys()][0]).toBe('AB_offset.A.q_proj');
      expect([...sd.keys()].at(-1)).toMatch(/^heads\.v_proj\./);
    });
  }

  it('has the shapes the spec names', () => {
    const sd = readTorchStateDict(fixture('L-sft'));
    const shape = (k: string) => sd.get(k)?.shape;
    expect(shape('AB_offset.A.q_proj')).toEqual([3, 8, 48]);
    expect(shape('AB_offset.B.v_proj')).toEqual([3, 16, 8]);
    expect(shape('task_encoder.mlp.0.weight')).toEqual([64, 1024]);
    expect(shape('mixer.1.weight')).toEqual([512, 128]);
    expect(shape('heads.q_proj.weight')).toEqual([704, 512]);
    expect(shape('heads.v_proj.bias')).toEqual([512]);
    const m = readTorchStateDict(fixture('M-recon-zscore-factorized'));
    expect(m.get('heads.q_proj.weight')?.shape).toEqual([384, 512]);
    expect(m.has('heads.q_proj.bias')).toBe(false);
  });

  it('reads the same values as python', () => {
    // Expected values: python3 stdlib only — zipfile.read('hypermod/data/<storage key>') and
    // struct.unpack_from('<f', raw, 4 * flat_index), the storage key taken from data.pkl via
    // pickle with stub classes; printed with repr(), i.e. the float32 widened exactly to a double.
    const l = readTorchStateDict(fixture('L-sft'));
    expect(l.get('heads.q_proj.weight')!.data[3 * 512 + 100]).toBe(0.016019189730286598);
    expect(l.get('AB_offset.B.v_proj')!.data[2 * 128 + 15 * 8 + 7]).toBe(0.00212123547680676);
    expect(l.get('task_encoder.mlp.0.weight')!.data[63 * 1024 + 1023]).toBe(0.05429373309016228);
    const m = readTorchStateDict(fixture('M-recon-zscore-factorized'));
    expect(m.get('std_recon_target.A.v_proj')!.data[384 + 2 * 48 + 3]).toBe(0.022056426852941513);
    const s = readTorchStateDict(fixture('S-learnedpos-sft'));
    expect(s.get('pos_emb.0.weight')!.data[7 * 128 + 5]).toBe(-0.412818968296051);
  });
});

describe('writeTorchStateDict', () => {
  const tensors: [string, Tensor][] = [
    [
      'a.weight',
      { shape: [2, 3, 4], data: Float32Array.from({ length: 24 }, (_, i) => i * 0.5 - 3) },
    ],
    ['b', { shape: [5], data: new Float32Array([1e-30, -0, Infinity, 3.25, -7]) }],
    ['scalar', { shape: [], data: new Float32Array([42.5]) }],
    ['empty', { shape: [0, 3], data: new Float32Array(0) }],
    ['ünï.cödé', { shape: [1, 1, 7], data: Float32Array.from({ length: 7 }, (_, i) => -i) }],
  ];

  it('round-trips shapes, values and order', () => {
    const sd = readTorchStateDict(writeTorchStateDict(tensors, { root: 'hypermod' }));
    expect([...sd.keys()]).toEqual(tensors.map(([k]) => k));
    for (const [k, t] of tensors) {
      expect(sd.get(k)!.shape).toEqual(t.shape);
      expect(Array.from(sd.get(k)!.data)).toEqual(Array.from(t.data));
      expect(sd.get(k)!.sourceDType).toBe('float32');
    }
  });

  it('re-writes a conformance checkpoint so that it reads back identically', () => {
    const original = readTorchStateDict(fixture('S-learnedpos-sft'));
    const again = readTorchStateDict(writeTorchStateDict(original));
    expect([...again.keys()]).toEqual([...original.keys()]);
    for (const [k, t] of original) {
      const data = again.get(k)!.data;
      // element-wise toEqual on ~1M floats is slow; count mismatches instead
      expect(data.length).toBe(t.data.length);
      expect(data.filter((v, i) => v !== t.data[i]).length).toBe(0);
    }
  });

  it('writes the torch layout with 64-byte aligned payloads', () => {
    const zip = writeTorchStateDict(tensors, { root: 'hypermod' });
    const names = Object.keys(unzipSync(zip));
    expect(names).toEqual([
      'hypermod/data.pkl',
      'hypermod/byteorder',
      ...tensors.map((_, i) => `hypermod/data/${i}`),
      'hypermod/version',
    ]);
    expect(new TextDecoder().decode(unzipSync(zip)['hypermod/version'])).toBe('3\n');
    const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
    let off = 0;
    let records = 0;
    while (view.getUint32(off, true) === 0x04034b50) {
      const size = view.getUint32(off + 18, true);
      const payload = off + 30 + view.getUint16(off + 26, true) + view.getUint16(off + 28, true);
      expect(payload % 64).toBe(0);
      off = payload + size;
      records++;
    }
    expect(records).toBe(names.length);
  });

  it('refuses a tensor whose data does not fit its shape', () => {
    expectT2LError(
      () => writeTorchStateDict([['x', { shape: [2, 2], data: new Float32Array(3) }]]),
      'bad-shape',
      /"x" has shape \[2, 2\] but 3 values/,
    );
  });
});

describe('readTorchStateDict on crafted files', () => {
  const storage6 = f32([0, 1, 2, 3, 4, 5]);

  it('follows strides and offsets (transposed, offset, 0-dim, shared storage)', () => {
    const pkl = craftPickle([
      {
        name: 't',
        storage: 'FloatStorage',
        key: '0',
        numel: 6,
        offset: 0,
        size: [3, 2],
        stride: [1, 3],
      },
      { name: 'o', storage: 'FloatStorage', key: '0', numel: 6, offset: 1, size: [2], stride: [2] },
      { name: 's', storage: 'FloatStorage', key: '0', numel: 6, offset: 5, size: [], stride: [] },
      {
        name: 'p',
        storage: 'FloatStorage',
        key: '0',
        numel: 6,
        offset: 0,
        size: [2, 3],
        stride: [3, 1],
        parameter: true,
      },
    ]);
    const sd = readTorchStateDict(craftZip({ 'data.pkl': pkl, 'data/0': storage6 }));
    expect(sd.get('t')).toEqual({
      shape: [3, 2],
      data: new Float32Array([0, 3, 1, 4, 2, 5]),
      sourceDType: 'float32',
    });
    expect(Array.from(sd.get('o')!.data)).toEqual([1, 3]);
    expect(sd.get('s')!.shape).toEqual([]);
    expect(Array.from(sd.get('s')!.data)).toEqual([5]);
    expect(Array.from(sd.get('p')!.data)).toEqual([0, 1, 2, 3, 4, 5]);
    sd.get('p')!.data[0] = 99; // tensors sharing a storage must not alias in memory
    expect(sd.get('t')!.data[0]).toBe(0);
  });

  it('widens float16, bfloat16 and float64 storages', () => {
    const halves = [0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x8000, 0x7c00];
    const f64 = new Uint8Array(new Float64Array([1 / 3, -2.5]).buffer);
    const pkl = craftPickle([
      { name: 'h', storage: 'HalfStorage', key: 'h', numel: 7, offset: 0, size: [7], stride: [1] },
      {
        name: 'ht',
        storage: 'HalfStorage',
        key: 'h',
        numel: 7,
        offset: 0,
        size: [2, 2],
        stride: [1, 2],
      },
      {
        name: 'b',
        storage: 'BFloat16Storage',
        key: 'b',
        numel: 2,
        offset: 0,
        size: [2],
        stride: [1],
      },
      {
        name: 'd',
        storage: 'DoubleStorage',
        key: 'd',
        numel: 2,
        offset: 0,
        size: [2],
        stride: [1],
      },
    ]);
    const sd = readTorchStateDict(
      craftZip({
        'data.pkl': pkl,
        'data/h': u16(halves),
        'data/b': u16([0x3f80, 0xc040]),
        'data/d': f64,
      }),
    );
    expect(Array.from(sd.get('h')!.data)).toEqual([1, -2, 0.5, 65504, 2 ** -24, -0, Infinity]);
    expect(sd.get('h')!.sourceDType).toBe('float16');
    expect(Array.from(sd.get('ht')!.data)).toEqual([1, 0.5, -2, 65504]);
    expect(Array.from(sd.get('b')!.data)).toEqual([1, -3]);
    expect(sd.get('b')!.sourceDType).toBe('bfloat16');
    expect(Array.from(sd.get('d')!.data)).toEqual([Math.fround(1 / 3), -2.5]);
    expect(sd.get('d')!.sourceDType).toBe('float64');
  });

  it('byte-swaps when the byteorder record says big', () => {
    const pkl = craftPickle([
      { name: 'x', storage: 'FloatStorage', key: '0', numel: 3, offset: 0, size: [3], stride: [1] },
    ]);
    const sd = readTorchStateDict(
      craftZip({ 'data.pkl': pkl, byteorder: 'big', 'data/0': f32([1.5, -2, 1e-3], false) }),
    );
    expect(Array.from(sd.get('x')!.data)).toEqual([1.5, -2, Math.fround(1e-3)]);
  });

  it('refuses bytes that are not a zip, and says the legacy format is unsupported', () => {
    expectT2LError(
      () => readTorchStateDict(new TextEncoder().encode('definitely not a checkpoint, just text')),
      'bad-zip',
      /^hypermod\.pt is not a torch\.save zip archive.*legacy format is not supported$/,
    );
    expectT2LError(
      () => readTorchStateDict(new Uint8Array([0x80, 0x02, 0x8a, 0x0a]), 'old.pt'),
      'bad-zip',
      /^old\.pt is a bare pickle, i\.e\. the old non-zip legacy torch\.save format/,
    );
  });

  it('refuses a truncated checkpoint', () => {
    const full = fixture('L-sft');
    expectT2LError(
      () => readTorchStateDict(full.subarray(0, full.length >> 1), 'L-sft/hypermod.pt'),
      'bad-zip',
      /^L-sft\/hypermod\.pt is not a torch\.save zip archive, or it is truncated/,
    );
  });

  it('refuses a zip without data.pkl', () => {
    expectT2LError(
      () => readTorchStateDict(craftZip({ 'data/0': storage6 })),
      'bad-zip',
      'hypermod.pt: the zip archive has no <root>/data.pkl, so it is not a torch.save checkpoint',
    );
  });

  it('refuses a pickle that names os.system, without running it', () => {
    // GLOBAL 'os system', the argument ('echo pwned',), REDUCE: what a malicious .pt contains
    const evil = [0x80, 2, ...utf8('cos\nsystem\n'), ...str('echo pwned'), 0x85, 0x52, 0x2e];
    expectT2LError(
      () => readTorchStateDict(craftZip({ 'data.pkl': evil })),
      'forbidden-global',
      'hypermod.pt: data.pkl refers to the global "os.system"; a state dict never does, ' +
        'so the file is refused (it is never executed)',
    );
    const viaStack = [0x80, 4, ...stackGlobal('builtins', 'eval'), ...str('1+1'), 0x85, 0x52, 0x2e];
    expectT2LError(
      () => unpickle(new Uint8Array(viaStack), 'x.pt: data.pkl'),
      'forbidden-global',
      /"builtins\.eval"/,
    );
    const getattr = [0x80, 2, ...utf8('c__builtin__\ngetattr\n'), 0x2e];
    expectT2LError(
      () => unpickle(new Uint8Array(getattr), 'p'),
      'forbidden-global',
      /"__builtin__\.getattr"/,
    );
    const inst = [0x80, 2, 0x28, ...utf8('ios\nsystem\n'), 0x2e];
    expectT2LError(() => unpickle(new Uint8Array(inst), 'p'), 'forbidden-global', /"os\.system"/);
  });

  it('refuses torch.* globals outside the allow-list (the namespace is not trusted as a whole)', () => {
    // Real torch callables a hostile pickle could name: none is a storage type or a rebuild helper.
    for (const [mod, name] of [
      ['torch', 'load'],
      ['torch.serialization', 'load'],
      ['torch._utils', '_rebuild_qtensor'],
      ['torch.storage', '_load_from_bytes'],
      ['torch', 'FloatTensor'],
    ] as const) {
      expectT2LError(
        () => unpickle(new Uint8Array([0x80, 4, ...stackGlobal(mod, name), 0x2e]), 'p'),
        'forbidden-global',
        `p refers to the global "${mod}.${name}"; a state dict never does, so the file is refused (it is never executed)`,
      );
    }
  });

  it('refuses malformed pickles with the byte offset', () => {
    expectT2LError(
      () => readTorchStateDict(craftZip({ 'data.pkl': [0x80, 2, 0xff, 0x2e] })),
      'bad-pickle',
      'hypermod.pt: data.pkl is malformed at byte 2: unknown opcode 0xff',
    );
    expectT2LError(
      () => unpickle(new Uint8Array([0x80, 2, 0x52, 0x2e]), 'p'),
      'bad-pickle',
      'p is malformed at byte 2: stack underflow',
    );
    expectT2LError(
      () => unpickle(new Uint8Array([0x80, 2, 0x58, 16, 0, 0, 0, 0x61]), 'p'),
      'bad-pickle',
      'p is malformed at byte 2: truncated',
    );
    expectT2LError(
      () => unpickle(new Uint8Array([0x80, 2, 0x4b, 1]), 'p'),
      'bad-pickle',
      'p is malformed at byte 4: truncated: the pickle ends without STOP',
    );
    expectT2LError(
      () => unpickle(new Uint8Array([0x80, 2, 0x68, 7, 0x2e]), 'p'),
      'bad-pickle',
      /memo entry 7/,
    );
  });

  it('refuses a top-level object that is not a dict of tensors', () => {
    expectT2LError(
      () => readTorchStateDict(craftZip({ 'data.pkl': [0x80, 2, 0x5d, 0x2e] })),
      'bad-pickle',
      'hypermod.pt: data.pkl holds a list of 0, not a state dict (a dict of name → tensor)',
    );
    const dictOfInt = [0x80, 2, 0x7d, ...str('epoch'), 0x4b, 3, 0x73, 0x2e];
    expectT2LError(
      () => readTorchStateDict(craftZip({ 'data.pkl': dictOfInt })),
      'bad-pickle',
      /entry "epoch" of data\.pkl is the number 3, not a tensor/,
    );
  });

  it('refuses a missing or too short storage record, naming the tensor', () => {
    const pkl = craftPickle([
      {
        name: 'w',
        storage: 'FloatStorage',
        key: '0',
        numel: 6,
        offset: 0,
        size: [2, 3],
        stride: [3, 1],
      },
    ]);
    expectT2LError(
      () => readTorchStateDict(craftZip({ 'data.pkl': pkl })),
      'missing-tensor',
      'hypermod.pt: tensor "w" needs the storage record archive/data/0, which the archive lacks',
    );
    expectT2LError(
      () => readTorchStateDict(craftZip({ 'data.pkl': pkl, 'data/0': f32([1, 2, 3, 4, 5]) })),
      'bad-pickle',
      /tensor "w" \[2, 3\] \(offset 0, stride \[3, 1\]\) has 6 elements but storage 0 holds only 5$/,
    );
  });

  it('skips integer storages, listing them, so that only a needed one is refused (strict=False)', () => {
    const pkl = craftPickle([
      {
        name: 'steps',
        storage: 'LongStorage',
        key: '0',
        numel: 1,
        offset: 0,
        size: [],
        stride: [],
      },
    ]);
    const read = readTorchCheckpoint(craftZip({ 'data.pkl': pkl, 'data/0': new Uint8Array(8) }));
    expect(read.weights.size).toBe(0);
    expect([...read.skipped]).toEqual([['steps', 'LongStorage']]);
  });

  it('refuses tensors that name one storage with different sizes or types (pickle-storage-alias)', () => {
    const e = (name: string, numel: number, storage = 'FloatStorage'): CraftEntry => ({
      name,
      storage,
      key: '0',
      numel,
      offset: 0,
      size: [Math.min(numel, 6)],
      stride: [1],
    });
    const read = (entries: CraftEntry[]) => () =>
      readTorchStateDict(
        craftZip({ 'data.pkl': craftPickle(entries), 'data/0': f32([1, 2, 3, 4, 5, 6]) }),
      );
    // Same key, same numel and type: one storage shared (as torch.save writes views).
    expect(read([e('a', 6), e('b', 6)])().get('b')!.data).toEqual(
      new Float32Array([1, 2, 3, 4, 5, 6]),
    );
    for (const [first, second, found] of [
      [
        e('a', 6),
        e('b', 3),
        '6 elements of torch.FloatStorage and 3 elements of torch.FloatStorage',
      ],
      [
        e('a', 3),
        e('b', 6),
        '3 elements of torch.FloatStorage and 6 elements of torch.FloatStorage',
      ],
      [
        e('a', 6),
        e('b', 6, 'HalfStorage'),
        '6 elements of torch.FloatStorage and 6 elements of torch.HalfStorage',
      ],
      [
        e('a', 6, 'LongStorage'),
        e('b', 6),
        '6 elements of torch.LongStorage and 6 elements of torch.FloatStorage',
      ],
    ] as const) {
      expectT2LError(
        read([first, second]),
        'bad-pickle',
        `hypermod.pt: tensors "a" and "b" share storage 0 but disagree on it: ${found}; torch.load refuses or reinterprets such a file`,
      );
    }
    // torch sizes a storage by its persistent id, not by its record: 4 declared, 6 stored.
    expectT2LError(
      read([{ ...e('a', 4), size: [6] }]),
      'bad-pickle',
      /has 6 elements but storage 0 holds only 4/,
    );
  });

  it('refuses tensors larger than their storage, negative-free strides past it, and huge counts', () => {
    const entry = (size: number[], stride: number[], offset = 0): CraftEntry => ({
      name: 'w',
      storage: 'FloatStorage',
      key: '0',
      numel: 6,
      offset,
      size,
      stride,
    });
    const read = (e: CraftEntry) => () =>
      readTorchStateDict(craftZip({ 'data.pkl': craftPickle([e]), 'data/0': storage6 }));
    expectT2LError(
      read(entry([7], [0])),
      'bad-pickle',
      /has 7 elements but storage 0 holds only 6 \(a stride-0 broadcast/,
    );
    expectT2LError(
      read(entry([2, 2], [5, 1])),
      'bad-pickle',
      /needs 7 elements of storage 0, which holds only 6/,
    );
    expectT2LError(read(entry([65536, 65536], [0, 0])), 'bad-pickle', /has 4294967296 elements/);
    expectT2LError(read(entry([3], [2], 2)), 'bad-pickle', /needs 7 elements/);
    // A stride-0 view no larger than its storage is read (expanded, as torch would).
    expect(Array.from(read(entry([2, 3], [0, 1]))().get('w')!.data)).toEqual([0, 1, 2, 0, 1, 2]);
  });
});

// --- a damaged checkpoint must be refused, as torch.load (miniz) refuses it, never read into a
// --- silently wrong adapter: mutations of a real checkpoint from the fixture writer ---

interface ZipLayout {
  /** Where this member's central directory entry starts. */
  central: number;
  local: number;
  /** Where its data starts (stored members). */
  data: number;
  size: number;
}

/** The members of a (non-zip64) archive, by name, read independently of zip-view.ts. */
function zipLayout(zip: Uint8Array): Map<string, ZipLayout> {
  const v = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const eocd = zip.length - 22;
  expect(v.getUint32(eocd, true)).toBe(0x06054b50);
  const out = new Map<string, ZipLayout>();
  let at = v.getUint32(eocd + 16, true);
  for (let i = 0; i < v.getUint16(eocd + 10, true); i++) {
    const nameLength = v.getUint16(at + 28, true);
    const name = new TextDecoder().decode(zip.subarray(at + 46, at + 46 + nameLength));
    const local = v.getUint32(at + 42, true);
    const data = local + 30 + v.getUint16(local + 26, true) + v.getUint16(local + 28, true);
    out.set(name, { central: at, local, data, size: v.getUint32(at + 20, true) });
    at += 46 + nameLength + v.getUint16(at + 30, true) + v.getUint16(at + 32, true);
  }
  return out;
}

describe('readTorchStateDict on damaged checkpoints', () => {
  const original = makeRandomCheckpoint({ seed: 3 })['hypermod.pt'];
  const layout = zipLayout(original);
  const member = (name: string) => layout.get(name)!;
  /** A copy of the checkpoint, mutated. */
  function damaged(mutate: (bytes: Uint8Array, v: DataView) => void): Uint8Array {
    const bytes = original.slice();
    mutate(bytes, new DataView(bytes.buffer));
    return bytes;
  }
  const read = (bytes: Uint8Array) => () => readTorchStateDict(bytes, 'hypermod.pt');

  it('reads the unmutated checkpoint (the mutations below are the only damage)', () => {
    expect(readTorchStateDict(original).size).toBeGreaterThan(3);
    expect([...layout.keys()]).toContain('hypermod/data/2');
  });

  it('refuses a flipped byte in a tensor record, naming the record and both CRCs', () => {
    const d2 = member('hypermod/data/2');
    const bytes = damaged((b) => (b[d2.data + (d2.size >> 1)]! ^= 0x10));
    expectT2LError(
      read(bytes),
      'bad-zip',
      /^hypermod\.pt is damaged: member hypermod\/data\/2: CRC-32 mismatch, expected 0x[0-9a-f]{8} \(the central directory's\), found 0x[0-9a-f]{8}; torch\.load would refuse it too/,
    );
  });

  it('refuses a wrong CRC field (in both headers, or only in the local one)', () => {
    const pkl = member('hypermod/data.pkl');
    const both = damaged((_, v) => {
      const wrong = v.getUint32(pkl.central + 16, true) ^ 0x01000000;
      v.setUint32(pkl.central + 16, wrong, true);
      v.setUint32(pkl.local + 14, wrong, true);
    });
    expectT2LError(
      read(both),
      'bad-zip',
      /member hypermod\/data\.pkl: CRC-32 mismatch, expected 0x[0-9a-f]{8} \(the central directory's\), found 0x[0-9a-f]{8}/,
    );
    const localOnly = damaged((_, v) => v.setUint32(pkl.local + 14, 0xdeadbeef, true));
    expectT2LError(
      read(localOnly),
      'bad-zip',
      /member hypermod\/data\.pkl: local header CRC-32 0xdeadbeef, central directory 0x[0-9a-f]{8}/,
    );
  });

  it("refuses a central entry pointing at another member's local header", () => {
    const d0 = member('hypermod/data/0');
    const d1 = member('hypermod/data/1');
    // Only the offset: the local header there names the other member.
    const moved = damaged((_, v) => v.setUint32(d1.central + 42, d0.local, true));
    expectT2LError(
      read(moved),
      'bad-zip',
      /member hypermod\/data\/1: local header names it "hypermod\/data\/0" \(15 bytes\), central directory "hypermod\/data\/1" \(15 bytes\)/,
    );
    // A consistent duplicate (same name, CRC, sizes, offset): one name twice, so ambiguous.
    const duplicate = damaged((b, v) => {
      b.copyWithin(d1.central + 10, d0.central + 10, d0.central + 28); // method .. sizes
      v.setUint32(d1.central + 42, d0.local, true);
      b.copyWithin(d1.central + 46, d0.central + 46, d0.central + 46 + 15); // the name
    });
    expectT2LError(
      read(duplicate),
      'bad-zip',
      /^hypermod\.pt is ambiguous: member hypermod\/data\/0 is named twice in the central directory/,
    );
  });

  it('refuses two members of one name with their own data (zip-duplicate-member), whichever copy is first', () => {
    const d0 = member('hypermod/data/0');
    const d1 = member('hypermod/data/1');
    // data/1 renamed data/0 in its local header and its directory entry: both copies are intact
    // members (CRCs match), so only the name makes the file ambiguous.
    const rename = (b: Uint8Array) => {
      b.copyWithin(d1.local + 30, d0.local + 30, d0.local + 30 + 15);
      b.copyWithin(d1.central + 46, d0.central + 46, d0.central + 46 + 15);
    };
    expectT2LError(
      read(damaged(rename)),
      'bad-zip',
      /^hypermod\.pt is ambiguous: member hypermod\/data\/0 is named twice in the central directory \(readers disagree on which entry is the member: torch\.load takes the first, a reader keyed by name the last\), so it is refused; save it again with torch\.save$/,
    );
  });

  it('refuses a local header outside every listed member that names one (a copy only a streaming reader sees)', () => {
    const d1 = member('hypermod/data/1');
    // A second copy of data/1 (header and data) put before everything; the directory, its offsets
    // shifted, lists only the original.
    const copy = original.slice(d1.local, d1.data + d1.size);
    const withCopy = (at: number) => {
      const bytes = new Uint8Array(original.length + copy.length);
      bytes.set(original.subarray(0, at), 0);
      bytes.set(copy, at);
      bytes.set(original.subarray(at), at + copy.length);
      const v = new DataView(bytes.buffer);
      for (const m of layout.values()) {
        if (m.local >= at) v.setUint32(m.central + copy.length + 42, m.local + copy.length, true);
      }
      const eocd = bytes.length - 22;
      v.setUint32(eocd + 16, v.getUint32(eocd + 16, true) + copy.length, true);
      return bytes;
    };
    expectT2LError(
      read(withCopy(0)),
      'bad-zip',
      /^hypermod\.pt is ambiguous: member hypermod\/data\/1 has a second local header at offset 0 that the central directory does not list \(torch\.load reads the copy the central directory lists; a streaming reader, which walks local headers from the start of the file, meets this one\), so it is refused; save it again with torch\.save$/,
    );
    // Between two members, after data/1's own copy.
    const d2 = member('hypermod/data/2');
    expectT2LError(
      read(withCopy(d2.local)),
      'bad-zip',
      new RegExp(`member hypermod/data/1 has a second local header at offset ${d2.local} `),
    );
    // The same bytes under a name no member has are only unused bytes, as before.
    const other = copy.slice();
    other[30 + 7] = 0x58; // hypermoX/data/1
    copy.set(other);
    expect(readTorchStateDict(withCopy(0)).size).toBe(readTorchStateDict(original).size);
  });

  it('refuses a local header whose name or extra length is wrong', () => {
    const d1 = member('hypermod/data/1');
    expect(original.length).toBeGreaterThan(d1.local + 30 + 0xffff + 0xffff);
    const longName = damaged((_, v) => v.setUint16(d1.local + 26, 0xffff, true));
    expectT2LError(
      read(longName),
      'bad-zip',
      /member hypermod\/data\/1: local header names it ".*" \(65535 bytes\), central directory "hypermod\/data\/1" \(15 bytes\)/,
    );
    // The extra field's length has no central counterpart; the shifted data then overlaps the next
    // member or fails its CRC.
    const longExtra = damaged((_, v) => v.setUint16(d1.local + 28, 0xffff, true));
    expectT2LError(
      read(longExtra),
      'bad-zip',
      /hypermod\.pt is damaged: members? hypermod\/data\/1/,
    );
  });
});
