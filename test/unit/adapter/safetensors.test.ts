import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { T2LError } from '../../../src/core/errors';
import { float32ToBfloat16, float32ToFloat16 } from '../../../src/core/adapter/float16';
import { readSafetensors, writeSafetensors } from '../../../src/core/adapter/safetensors';

const FIXTURES = join(import.meta.dirname, '../../fixtures/conformance');
const VARIANTS = readdirSync(FIXTURES, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);

/** A deliberately separate, minimal parser, so the writer is not only checked by our own reader. */
function parse(bytes: Uint8Array) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  > & { __metadata__?: Record<string, string> };
  const start = 8 + n;
  const values = (name: string): number[] => {
    const {
      dtype,
      data_offsets: [b, e],
    } = header[name]!;
    const out: number[] = [];
    for (let p = start + b; p < start + e; p += dtype === 'F32' ? 4 : 2) {
      out.push(dtype === 'F32' ? view.getFloat32(p, true) : view.getUint16(p, true));
    }
    return out;
  };
  return { n, start, header, values };
}

/** Assembles a file by hand from a header (object or raw text) and data bytes. */
function build(header: unknown, data: Uint8Array | number = 0, headerLength?: number): Uint8Array {
  const json = new TextEncoder().encode(
    typeof header === 'string' ? header : JSON.stringify(header),
  );
  const body = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + json.length + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength ?? json.length), true);
  out.set(json, 8);
  out.set(body, 8 + json.length);
  return out;
}

function expectBad(bytes: Uint8Array, message: RegExp): void {
  let error: unknown;
  try {
    readSafetensors(bytes, 'my.safetensors');
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(T2LError);
  expect((error as T2LError).code).toBe('bad-safetensors');
  expect((error as T2LError).message).toMatch(/^my\.safetensors: /);
  expect((error as T2LError).message).toMatch(message);
}

const f32 = (shape: number[], data: number[]) => ({ shape, data: new Float32Array(data) });

describe('writeSafetensors', () => {
  const tensors = [
    { name: 'b.weight', ...f32([2, 3], [1, -2, 3.5, 0, -0.25, 1e-3]) },
    { name: 'a.bias', ...f32([3], [7, 8, 9]) },
    { name: 'empty', ...f32([0, 4], []) },
  ];

  it('writes the header length, aligned JSON header, contiguous offsets and values', () => {
    const bytes = writeSafetensors(tensors, { metadata: { format: 'pt', note: 'hi' } });
    const { n, start, header, values } = parse(bytes);
    expect(start % 8).toBe(0);
    expect(new TextDecoder().decode(bytes.subarray(8, 8 + n))).toMatch(/^\{.*\} *$/);
    expect(Object.keys(header)).toEqual(['__metadata__', 'b.weight', 'a.bias', 'empty']);
    expect(header.__metadata__).toEqual({ format: 'pt', note: 'hi' });
    expect(header['b.weight']).toEqual({ dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
    expect(header['a.bias']).toEqual({ dtype: 'F32', shape: [3], data_offsets: [24, 36] });
    expect(header.empty).toEqual({ dtype: 'F32', shape: [0, 4], data_offsets: [36, 36] });
    expect(bytes.length).toBe(start + 36);
    expect(values('b.weight')).toEqual([...tensors[0]!.data]);
    expect(values('a.bias')).toEqual([7, 8, 9]);
  });

  it('writes float16 and bfloat16 bit patterns', () => {
    const data = new Float32Array([1, -2, 65520, 2 ** -24, 1 + 2 ** -8]);
    for (const [dtype, code, bits] of [
      ['float16', 'F16', [0x3c00, 0xc000, 0x7c00, 0x0001, 0x3c04]],
      ['bfloat16', 'BF16', [0x3f80, 0xc000, 0x4780, 0x3380, 0x3f80]],
    ] as const) {
      const bytes = writeSafetensors([{ name: 'x', shape: [5], data }], { dtype });
      const { start, header, values } = parse(bytes);
      expect(start % 8).toBe(0);
      expect(header.x).toEqual({ dtype: code, shape: [5], data_offsets: [0, 10] });
      expect(values('x')).toEqual(bits);
      const convert = dtype === 'float16' ? float32ToFloat16 : float32ToBfloat16;
      expect(values('x')).toEqual([...convert(data)]);
    }
  });

  it('writes an empty file as a padded {} header', () => {
    const bytes = writeSafetensors([]);
    expect(bytes.length).toBe(16);
    expect(parse(bytes).header).toEqual({});
  });

  it('refuses a length that does not match the shape, and repeated names', () => {
    expect(() => writeSafetensors([{ name: 'x', ...f32([2, 2], [1, 2, 3]) }])).toThrow(
      /tensor x has shape \[2, 2\] \(4 values\) but 3 values/,
    );
    expect(() =>
      writeSafetensors([
        { name: 'x', ...f32([1], [1]) },
        { name: 'x', ...f32([1], [1]) },
      ]),
    ).toThrow(/x is reserved or repeated/);
  });
});

describe('readSafetensors', () => {
  it('reads back what it wrote, in every dtype', () => {
    const data = new Float32Array([1, -2, 0.5, 65504, -0, 3]);
    for (const dtype of ['float32', 'float16', 'bfloat16'] as const) {
      const bytes = writeSafetensors([{ name: 'w', shape: [2, 3], data }], {
        dtype,
        metadata: { k: 'v' },
      });
      const file = readSafetensors(bytes);
      expect(file.metadata).toEqual({ k: 'v' });
      const w = file.tensors.get('w')!;
      expect(w.shape).toEqual([2, 3]);
      expect(w.sourceDType).toBe(dtype);
      expect(w.dtype).toBe({ float32: 'F32', float16: 'F16', bfloat16: 'BF16' }[dtype]);
      // 65504 is not a bfloat16 (8 mantissa bits): it rounds to 65536.
      const want = dtype === 'bfloat16' ? [1, -2, 0.5, 65536, -0, 3] : [...data];
      expect([...w.data]).toEqual(want);
    }
  });

  it('round-trips random float32 exactly, from an unaligned view', () => {
    const data = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 10 ** ((i % 9) - 4));
    const bytes = writeSafetensors([{ name: 'r', shape: [10, 100], data }]);
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    const r = readSafetensors(shifted.subarray(3)).tensors.get('r')!;
    expect(r.data).toEqual(data);
  });

  it('reads a small Node Buffer, which is a view into a shared pool', () => {
    const bytes = Buffer.from(writeSafetensors([{ name: 'p', ...f32([2], [4, 5]) }]));
    expect(bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.length).toBe(false);
    expect([...readSafetensors(bytes).tensors.get('p')!.data]).toEqual([4, 5]);
  });

  it('widens F64', () => {
    const values = new Float64Array([1.5, -1e-3, 1e30]);
    const bytes = build(
      { d: { dtype: 'F64', shape: [3], data_offsets: [0, 24] } },
      new Uint8Array(values.buffer),
    );
    const d = readSafetensors(bytes).tensors.get('d')!;
    expect(d.sourceDType).toBe('float64');
    expect([...d.data]).toEqual([...new Float32Array(values)]);
  });

  it.each(VARIANTS)('reads the %s conformance files', (variant) => {
    const dir = join(FIXTURES, variant);
    const inputs = readSafetensors(readFileSync(join(dir, 'inputs.safetensors')), 'inputs');
    expect([...inputs.tensors.keys()].sort()).toEqual(['encoded_task_emb', 'task_emb']);
    expect(inputs.tensors.get('task_emb')!.shape).toEqual([3, 1024]);
    expect(inputs.tensors.get('encoded_task_emb')!.shape).toEqual([3, 64]);
    for (const k of [0, 1, 2]) {
      const { tensors } = readSafetensors(readFileSync(join(dir, `expected-${k}.safetensors`)));
      expect(tensors.size).toBe(12);
      for (const layer of [0, 1, 2]) {
        const key = (m: string, ab: string) =>
          `base_model.model.model.layers.${layer}.self_attn.${m}.lora_${ab}.weight`;
        expect(tensors.get(key('q_proj', 'A'))!.shape).toEqual([8, 48]);
        expect(tensors.get(key('q_proj', 'B'))!.shape).toEqual([40, 8]);
        expect(tensors.get(key('v_proj', 'A'))!.shape).toEqual([8, 48]);
        expect(tensors.get(key('v_proj', 'B'))!.shape).toEqual([16, 8]);
      }
    }
  });

  it('reads known values from L-sft', () => {
    // Values from python3: struct.unpack('<f', data[8 + N + offset : ...]) with N the header length.
    const dir = join(FIXTURES, 'L-sft');
    const inputs = readSafetensors(readFileSync(join(dir, 'inputs.safetensors'))).tensors;
    const emb = inputs.get('task_emb')!.data;
    expect([...emb.subarray(0, 3)]).toEqual([
      -0.8314314484596252, 0.40108078718185425, 0.9112905263900757,
    ]);
    expect(emb[3 * 1024 - 1]).toBe(-0.8798954486846924);
    const enc = inputs.get('encoded_task_emb')!.data;
    expect(enc[0]).toBe(1.553325891494751);
    expect(enc[3 * 64 - 1]).toBe(0.08778784424066544);

    const expected = readSafetensors(readFileSync(join(dir, 'expected-0.safetensors'))).tensors;
    const qA = expected.get('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight')!.data;
    expect([qA[0], qA[1], qA[8 * 48 - 1]]).toEqual([
      0.18000094592571259, -0.43990492820739746, 0.24434371292591095,
    ]);
    const vB = expected.get('base_model.model.model.layers.2.self_attn.v_proj.lora_B.weight')!.data;
    expect([vB[0], vB[1], vB[16 * 8 - 1]]).toEqual([
      0.26822447776794434, -0.6802744269371033, 0.5548548698425293,
    ]);
  });

  describe('refuses malformed files', () => {
    const t = (dtype: string, shape: number[], data_offsets: number[]) => ({
      dtype,
      shape,
      data_offsets,
    });

    it('shorter than the length field', () => {
      expectBad(new Uint8Array(5), /5 bytes is too short/);
    });
    it('header length beyond the file', () => {
      expectBad(build({}, 0, 1000), /header length 1000 runs past the end of the file \(2 bytes/);
    });
    it('header length beyond 2^53', () => {
      const bytes = build({});
      new DataView(bytes.buffer).setBigUint64(0, 2n ** 63n, true);
      expectBad(bytes, /header length 9223372036854775808 runs past/);
    });
    it('bad JSON', () => {
      expectBad(build('{"x": '), /header is not valid UTF-8 JSON/);
    });
    it('JSON that is not an object', () => {
      expectBad(build('[1, 2]'), /header is not a JSON object/);
    });
    it('unknown dtype', () => {
      expectBad(
        build({ x: t('F99', [1], [0, 4]) }, 4),
        /tensor "x"\.dtype: expected one of F32, F16, BF16, F64, found "F99"/,
      );
    });
    it('a dtype named like an Object property', () => {
      expectBad(
        build({ x: t('constructor', [1], [0, 4]) }, 4),
        /tensor "x"\.dtype: expected one of F32, F16, BF16, F64, found "constructor"/,
      );
    });
    it('integer dtype', () => {
      expectBad(
        build({ ids: t('I64', [1], [0, 8]) }, 8),
        /tensor "ids"\.dtype: expected F32, F16, BF16, F64 \(I64 is not a float dtype we read\), found "I64"/,
      );
    });
    it('bad shape', () => {
      expectBad(
        build({ x: t('F32', [-1], [0, 4]) }, 4),
        /tensor "x"\.shape\.0: expected number to be >=0, found -1/,
      );
    });
    it('shape x dtype size not matching the offsets', () => {
      expectBad(
        build({ x: t('F32', [2, 3], [0, 20]) }, 20),
        /tensor "x"\.data_offsets: expected 24 bytes for shape \[2, 3\] of F32, found \[0, 20\] holding 20/,
      );
    });
    it('malformed offsets', () => {
      expectBad(
        build({ x: t('F32', [1], [4, 0]) }, 4),
        /tensor "x"\.data_offsets: expected begin <= end, found \[4, 0\]/,
      );
    });
    it('offsets out of range', () => {
      expectBad(
        build({ x: t('F32', [4], [0, 16]) }, 8),
        /tensor "x"\.data_offsets: expected within the 8 bytes of data, found \[0, 16\]/,
      );
    });
    it('overlapping offsets', () => {
      const header = { a: t('F32', [2], [0, 8]), b: t('F32', [2], [4, 12]) };
      expectBad(
        build(header, 12),
        /tensor "b"\.data_offsets: expected to begin at byte 8, found \[4, 12\] \(overlaps/,
      );
    });
    it('a gap between tensors', () => {
      const header = { a: t('F32', [1], [0, 4]), b: t('F32', [1], [8, 12]) };
      expectBad(
        build(header, 12),
        /tensor "b"\.data_offsets: expected to begin at byte 4, found \[8, 12\] \(leaves a gap/,
      );
    });
    it('trailing bytes', () => {
      expectBad(build({ a: t('F32', [1], [0, 4]) }, 7), /found 3 trailing bytes after byte 4/);
    });
    it('non-string metadata', () => {
      expectBad(build({ __metadata__: { n: 1 } }), /__metadata__\.n: expected string, found 1/);
    });
    it('a dimension that is not a safe integer', () => {
      expectBad(
        build({ x: t('F32', [2 ** 60], [0, 4]) }, 4),
        /tensor "x"\.shape\.0: expected int to be <=9007199254740991, found 1152921504606847000/,
      );
      expectBad(
        build({ x: t('F32', [1.5], [0, 4]) }, 4),
        /tensor "x"\.shape\.0: expected an integer/,
      );
    });
    it('a shape whose byte size overflows 2^53 (not wrapped into a small size)', () => {
      expectBad(
        build({ x: t('F32', [2 ** 30, 2 ** 30, 2 ** 30], [0, 4]) }, 4),
        /tensor "x"\.data_offsets: expected more than 2\^53 bytes for shape/,
      );
    });
    it('data_offsets that are not a pair', () => {
      expectBad(build({ x: t('F32', [1], [0, 4, 8]) }, 4), /tensor "x"\.data_offsets: expected/);
      expectBad(
        build({ x: { dtype: 'F32', shape: [1] } }, 4),
        /tensor "x"\.data_offsets: expected/,
      );
    });
    it('metadata that is not an object of strings', () => {
      expectBad(
        build({ __metadata__: ['a'] }),
        /__metadata__: expected an object of strings, found \["a"\]/,
      );
    });
    it('a tensor named __proto__ is a tensor, not a prototype', () => {
      const bytes = build(
        '{"__proto__": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}',
        4,
      );
      expect([...readSafetensors(bytes).tensors.keys()]).toEqual(['__proto__']);
      const meta = build('{"__metadata__": {"__proto__": "x"}}');
      expect(Object.entries(readSafetensors(meta).metadata)).toEqual([['__proto__', 'x']]);
    });
  });

  it('accepts tensors listed out of offset order', () => {
    const header = {
      second: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
      first: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
    };
    const tensors = readSafetensors(
      build(header, new Uint8Array(new Float32Array([1, 2]).buffer)),
    ).tensors;
    expect(tensors.get('first')!.data[0]).toBe(1);
    expect(tensors.get('second')!.data[0]).toBe(2);
  });
});
