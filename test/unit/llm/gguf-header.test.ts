import { describe, expect, it } from 'vitest';
import { writeGguf } from '../../../src/core/adapter/gguf-writer';
import { T2LError } from '../../../src/core/errors';
import {
  GgufPrefixTooShortError,
  ggmlTensorBytes,
  readGgufHeader,
} from '../../../src/core/llm/gguf-header';
import { makeTinyBase, tinyBaseGguf } from '../../../src/fixtures/tiny-base';
import { parseGguf } from '../../support/gguf-reader';

const base = tinyBaseGguf(makeTinyBase({ layers: 2, contextLength: 128 }));

/** Little-endian byte builders for hand-made headers. */
const u32 = (v: number) => new Uint8Array(new Uint32Array([v]).buffer);
const u64 = (v: bigint | number) => new Uint8Array(new BigUint64Array([BigInt(v)]).buffer);
const str = (s: string) => {
  const b = new TextEncoder().encode(s);
  return cat(u64(b.length), b);
};
function cat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
const MAGIC = new TextEncoder().encode('GGUF');
/** A header with the given counts, followed by `rest`, padded with zeros to `size`. */
const header = (tensors: bigint | number, kvs: bigint | number, rest: Uint8Array, size = 256) => {
  const b = cat(MAGIC, u32(3), u64(tensors), u64(kvs), rest);
  return cat(b, new Uint8Array(Math.max(0, size - b.length)));
};

function expectError(f: () => unknown, pattern: RegExp): T2LError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(T2LError);
    expect((e as Error).message).toMatch(pattern);
    return e as T2LError;
  }
  throw new Error(`expected a T2LError matching ${pattern}`);
}

describe('readGgufHeader', () => {
  it('reads what an independent parser (@huggingface/gguf) reads: metadata, tensor infos, data offset', async () => {
    const h = readGgufHeader(base);
    const ref = await parseGguf(base);
    expect(h.version).toBe(3);
    expect(h.dataOffset).toBe(ref.dataOffset);
    expect(h.tensors.map((t) => t.name)).toEqual(ref.order);
    for (const t of h.tensors) {
      const r = ref.tensors.get(t.name)!;
      expect(t.ne).toEqual(r.ne);
      expect(t.type).toBe(r.type);
      expect(t.offset).toBe(r.offset);
    }
    expect([...h.metadata.keys()]).toEqual(Object.keys(ref.metadata));
    for (const [k, v] of h.metadata) {
      const r = ref.metadata[k]!.value;
      if (typeof v === 'number' && !Number.isInteger(v)) expect(v).toBeCloseTo(r as number, 6);
      else if (Array.isArray(v) && typeof v[0] === 'number') {
        expect((v as number[]).map((x) => Math.fround(x))).toEqual(
          (r as number[]).map(Math.fround),
        );
      } else expect(v).toEqual(r);
    }
    expect(h.metadata.get('llama.block_count')).toBe(2);
    expect(h.metadata.get('tokenizer.ggml.add_bos_token')).toBe(false);
  });

  it('reads a prefix that holds the header when told the file size', () => {
    const full = readGgufHeader(base);
    const prefix = base.subarray(0, full.dataOffset);
    expect(readGgufHeader(prefix, { fileSize: base.length })).toEqual(full);
  });

  it('asks for more bytes when a prefix ends inside the header', () => {
    const e = expectError(
      () => readGgufHeader(base.subarray(0, 1000), { fileSize: base.length, source: 'x.gguf' }),
      /x\.gguf: the first 1000 bytes end inside the GGUF header .*read more/,
    );
    expect(e).toBeInstanceOf(GgufPrefixTooShortError);
    expect((e as GgufPrefixTooShortError).needBytes).toBeGreaterThan(1000);
    expect((e as GgufPrefixTooShortError).needBytes).toBeLessThanOrEqual(base.length);
  });

  it('a truncated file: inside the header, and inside the tensor data', () => {
    const cut = base.subarray(0, 1000);
    const e = expectError(() => readGgufHeader(cut), /truncated (or corrupt )?GGUF: /);
    expect(e).not.toBeInstanceOf(GgufPrefixTooShortError);
    expectError(
      () => readGgufHeader(base.subarray(0, base.length - 100)),
      /truncated GGUF: tensor \S+ ends at byte \d+, but the file has \d+/,
    );
    expectError(
      () => readGgufHeader(base.subarray(0, 100_000), { fileSize: base.length - 1 }),
      /truncated GGUF: tensor/,
    );
  });

  it('not a GGUF file: names what it found', () => {
    expectError(
      () => readGgufHeader(new TextEncoder().encode('PK\x03\x04 a zip')),
      /not a GGUF file \(it should start with "GGUF", found bytes 50 4b 03 04\)/,
    );
    expectError(() => readGgufHeader(new Uint8Array()), /not a GGUF file .*an empty file/);
    expectError(() => readGgufHeader(new TextEncoder().encode('<!DOCTYPE html>')), /not a GGUF/);
  });

  it('unsupported versions: 1, and big-endian files', () => {
    expectError(
      () => readGgufHeader(cat(MAGIC, u32(1), new Uint8Array(64))),
      /GGUF version 1 is not supported/,
    );
    const be = cat(MAGIC, new Uint8Array([0, 0, 0, 3]), new Uint8Array(64));
    expectError(() => readGgufHeader(be), /version 50331648 .*big-endian/);
  });

  it('bounds every count and length before allocating', () => {
    expectError(
      () => readGgufHeader(header(2n ** 40n, 0, new Uint8Array())),
      /claims 0 metadata entries and 1099511627776 tensors/,
    );
    expectError(
      () => readGgufHeader(header(0, 2n ** 62n, new Uint8Array())),
      /which no file can hold|claims/,
    );
    // A key whose length is far past the end.
    expectError(
      () => readGgufHeader(header(0, 1, u64(2n ** 40n))),
      /metadata key #0 claims 1099511627776 bytes/,
    );
    // A string array of 2^40 entries.
    const arr = cat(str('tokenizer.ggml.tokens'), u32(9), u32(8), u64(2n ** 40n));
    expectError(
      () => readGgufHeader(header(0, 1, arr)),
      /tokenizer\.ggml\.tokens claims 1099511627776 elements/,
    );
    // A tensor with 2^40 x 2^40 elements, or 5 dims.
    const big = cat(str('w'), u32(2), u64(2n ** 40n), u64(2n ** 40n), u32(0), u64(0));
    expectError(() => readGgufHeader(header(1, 0, big)), /tensor w has bad dims/);
    const dims5 = cat(str('w'), u32(5));
    expectError(() => readGgufHeader(header(1, 0, dims5)), /tensor w has 5 dims/);
  });

  it('refuses bad value types, nested arrays, repeated keys and non-UTF-8 strings', () => {
    expectError(
      () => readGgufHeader(header(0, 1, cat(str('k'), u32(13)))),
      /k has unknown value type 13/,
    );
    expectError(
      () => readGgufHeader(header(0, 1, cat(str('k'), u32(9), u32(9), u64(1)))),
      /k is an array of arrays/,
    );
    const kv = cat(str('k'), u32(4), u32(7));
    expectError(() => readGgufHeader(header(0, 2, cat(kv, kv))), /key k appears twice/);
    const badKey = cat(u64(2), new Uint8Array([0xc3, 0x28]), u32(4), u32(1));
    expectError(() => readGgufHeader(header(0, 1, badKey)), /not valid UTF-8/);
  });

  it('skips metadata arrays longer than maxArrayLength and still reads on', () => {
    const h = readGgufHeader(base, { maxArrayLength: 100 });
    expect(h.metadata.get('tokenizer.ggml.tokens')).toEqual([]);
    expect(h.tensors).toEqual(readGgufHeader(base).tensors);
  });

  it('reads scalar types it does not write: u8/i8/u16/i16/u64/i64/f64/bool', () => {
    const kvs = cat(
      cat(str('a'), u32(0), new Uint8Array([200])),
      cat(str('b'), u32(1), new Uint8Array([0xff])),
      cat(str('c'), u32(2), new Uint8Array([0x34, 0x12])),
      cat(str('d'), u32(3), new Uint8Array([0xfe, 0xff])),
      cat(str('e'), u32(10), u64(2n ** 60n)),
      cat(str('f'), u32(11), u64(5)),
      cat(str('g'), u32(12), new Uint8Array(new Float64Array([0.1]).buffer)),
      cat(str('h'), u32(7), new Uint8Array([1])),
    );
    const h = readGgufHeader(header(0, 8, kvs, 0));
    expect(Object.fromEntries(h.metadata)).toEqual({
      a: 200,
      b: -1,
      c: 0x1234,
      d: -2,
      e: 2n ** 60n,
      f: 5,
      g: 0.1,
      h: true,
    });
  });

  it('sizes quantized tensors as ggml does (Q4_K: 144 bytes a 256-block)', () => {
    expect(ggmlTensorBytes({ ne: [2304, 256000], type: 12 })).toBe((2304 * 256000 * 144) / 256);
    expect(ggmlTensorBytes({ ne: [64, 64], type: 0 })).toBe(64 * 64 * 4);
    expect(ggmlTensorBytes({ ne: [64, 64], type: 99 })).toBeUndefined();
  });

  it('a corrupted byte anywhere in the header gives a T2LError or a header, never anything else', () => {
    const end = readGgufHeader(base).dataOffset;
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    for (let i = 0; i < 150; i++) {
      const b = base.slice(0, end + 64 * 1024);
      const at = Math.floor(rnd() * end);
      b[at] = Math.floor(rnd() * 256);
      try {
        readGgufHeader(b, { fileSize: base.length });
      } catch (e) {
        expect(e, `byte ${at}`).toBeInstanceOf(T2LError);
      }
    }
  });

  it('reads headers written by the project writer with every value kind', () => {
    const bytes = writeGguf(
      [
        { key: 's', type: 'string', value: 'héllo ▁' },
        { key: 'u', type: 'u32', value: 4000000000 },
        { key: 'i', type: 'i32', value: -5 },
        { key: 'b', type: 'bool', value: false },
        { key: 'sa', type: 'string[]', value: ['a', '', '▁b'] },
        { key: 'ia', type: 'i32[]', value: [1, -2] },
      ],
      [{ name: 't', ne: [3, 2], data: new Float32Array(6), dtype: 'float16' }],
    );
    const h = readGgufHeader(bytes);
    expect(Object.fromEntries(h.metadata)).toEqual({
      s: 'héllo ▁',
      u: 4000000000,
      i: -5,
      b: false,
      sa: ['a', '', '▁b'],
      ia: [1, -2],
    });
    expect(h.tensors).toEqual([{ name: 't', ne: [3, 2], type: 1, offset: 0 }]);
    expect(bytes.length).toBe(h.dataOffset + 32);
  });
});

describe('readGgufHeader refuses at once what llama.cpp would refuse only when loading (gguf-late-refusal)', () => {
  const F32 = 0;
  const info = (name: string, ne: number[], type: number, offset: number) =>
    cat(str(name), u32(ne.length), ...ne.map((d) => u64(d)), u32(type), u64(offset));
  const two = (a: Uint8Array, b: Uint8Array) => header(2, 0, cat(a, b), 512);

  it('tensors laid out as llama.cpp lays them out are read', () => {
    const h = readGgufHeader(two(info('a', [4], F32, 0), info('b', [40], F32, 32)));
    expect(h.tensors.map((t) => [t.name, t.offset])).toEqual([
      ['a', 0],
      ['b', 32],
    ]);
  });

  it('a tensor name given twice', () => {
    expectError(
      () => readGgufHeader(two(info('a', [4], F32, 0), info('a', [4], F32, 32))),
      /GGUF tensor a appears twice \(tensor #1\)/,
    );
  });

  it('an offset that is misaligned, overlapping or leaves a gap: the tensor and both offsets named', () => {
    for (const [offset, extra] of [
      [8, /; 8 is not a multiple of 32$/],
      [0, /\(tensors follow one another in order, each padded to general\.alignment 32\)$/],
    ] as const) {
      const e = expectError(
        () => readGgufHeader(two(info('a', [4], F32, 0), info('b', [4], F32, offset))),
        new RegExp(`GGUF tensor b has data offset ${offset}, expected 32 `),
      );
      expect(e.message).toMatch(extra);
    }
    // A gap: a's size or b's offset may be wrong (b's bytes do not end the data): both named.
    expectError(
      () => readGgufHeader(two(info('a', [4], F32, 0), info('b', [4], F32, 64))),
      /GGUF tensor a \(ggml type 0, dims \[4\]\) takes 16 bytes, 32 with padding to general\.alignment 32, but the next tensor, b, starts 64 bytes after it \(data offset 64\): the dims or ggml type of a, or the data offset of b \(expected 32\), are wrong$/,
    );
    // A first tensor not at 0.
    expectError(
      () => readGgufHeader(two(info('a', [4], F32, 32), info('b', [4], F32, 64))),
      /GGUF tensor a has data offset 32, expected 0/,
    );
  });

  it('general.alignment is honoured (64 here, so 32 is misaligned)', () => {
    const kv = cat(str('general.alignment'), u32(4), u32(64));
    const ok = header(2, 1, cat(kv, info('a', [4], F32, 0), info('b', [4], F32, 64)), 512);
    expect(readGgufHeader(ok).alignment).toBe(64);
    const bad = header(2, 1, cat(kv, info('a', [4], F32, 0), info('b', [4], F32, 32)), 512);
    expectError(
      () => readGgufHeader(bad),
      /tensor b has data offset 32, expected 64 .*; 32 is not a multiple of 64$/,
    );
  });

  it('a ggml type llama.cpp does not know, and rows that are no whole number of blocks', () => {
    for (const type of [4, 5, 31, 99, 0xffffffff]) {
      expectError(
        () => readGgufHeader(two(info('a', [4], F32, 0), info('b', [32], type, 32))),
        new RegExp(`GGUF tensor b has ggml type ${type}, which llama\\.cpp does not know`),
      );
    }
    expectError(
      () => readGgufHeader(two(info('a', [4], F32, 0), info('b', [16, 2], 2, 32))),
      /GGUF tensor b has rows of 16 elements, not a multiple of its ggml type 2's block of 32/,
    );
  });

  it('a tensor whose ggml type or dims were changed is named, not the tensor after it', () => {
    const h = readGgufHeader(base);
    const i = h.tensors.findIndex((t) => t.name === 'blk.0.attn_k.weight');
    const t = h.tensors[i]!;
    expect(i).toBeLessThan(h.tensors.length - 1);
    expect(t.type).toBe(0);
    const infoAt = Buffer.from(base).indexOf(t.name) + t.name.length;
    const typeAt = infoAt + 4 + 8 * t.ne.length;
    const next = h.tensors[i + 1]!.name.replaceAll('.', '\\.');
    const name = t.name.replaceAll('.', '\\.');
    // F32 -> F16: half the bytes; the offsets after it are untouched.
    const retyped = base.slice();
    new DataView(retyped.buffer).setUint32(typeAt, 1, true);
    expectError(
      () => readGgufHeader(retyped),
      new RegExp(
        `GGUF tensor ${name} \\(ggml type 1, dims \\[${t.ne.join(', ')}\\]\\) takes ${ggmlTensorBytes({ ...t, type: 1 })} bytes, .* but the next tensor, ${next}, starts ${ggmlTensorBytes(t)} bytes after it .*: the dims or ggml type of ${name} are wrong \\(the tensors after it, and the end of the data, follow on from ${h.tensors[i + 1]!.offset}\\)$`,
      ),
    );
    // Its second dim doubled: the next tensor overlaps it.
    const resized = base.slice();
    new DataView(resized.buffer).setBigUint64(infoAt + 4 + 8, BigInt(t.ne[1]! * 2), true);
    expectError(
      () => readGgufHeader(resized),
      new RegExp(
        `GGUF tensor ${name} \\(ggml type 0, dims \\[${t.ne[0]}, ${t.ne[1]! * 2}\\]\\) .*: the dims or ggml type of ${name} are wrong`,
      ),
    );
  });

  it("the tiny base with a tensor renamed to another's name, or ffn_up's offset set to 8 (the cases)", () => {
    const at = (b: Uint8Array, name: string) => Buffer.from(b).indexOf(`${name}`);
    const dup = base.slice();
    const q = at(dup, 'blk.0.attn_q.weight');
    dup.set(new TextEncoder().encode('blk.0.attn_k.weight'), q);
    expectError(() => readGgufHeader(dup), /GGUF tensor blk\.0\.attn_(k|q)\.weight appears twice/);
    const moved = base.slice();
    const name = 'blk.0.ffn_up.weight';
    const t = readGgufHeader(base).tensors.find((x) => x.name === name)!;
    const offsetAt = at(moved, name) + name.length + 4 + 8 * t.ne.length + 4;
    new DataView(moved.buffer).setBigUint64(offsetAt, 8n, true);
    expectError(
      () => readGgufHeader(moved),
      new RegExp(
        `GGUF tensor ${name.replaceAll('.', '\\.')} has data offset 8, expected ${t.offset} .*; 8 is not a multiple of 32`,
      ),
    );
  });
});
