import { describe, expect, it } from 'vitest';
import {
  dequantizeQ4,
  fromHalfBits,
  int8Scales,
  q4Layout,
  quantizeQ4,
  rowRange,
  toHalfBits,
  writeTransposedF16,
  writeTransposedF32,
  writeTransposedInt8,
} from '../../../src/core/onnx/quantize';
import { float32ToFloat16 } from '../../../src/core/adapter/float16';

/** W [out, in] with a recognisable value per entry. */
function matrix(
  out: number,
  inp: number,
  f = (o: number, c: number) => Math.sin(o * 7.1 + c * 1.3),
) {
  const W = new Float32Array(out * inp);
  for (let o = 0; o < out; o++) for (let c = 0; c < inp; c++) W[o * inp + c] = f(o, c);
  return W;
}

describe('transposed weight writers', () => {
  const out = 37;
  const inp = 45; // neither a multiple of the 16-wide bands
  const W = matrix(out, inp);
  const rows = Int32Array.from([5, 0, 36, 17, 17, 2]); // any selection and order, repeats too

  it('float32: Wᵀ over a column range and a row selection', () => {
    const dst = new Uint8Array((30 - 3) * rows.length * 4);
    writeTransposedF32(dst, W, inp, 3, 30, rows);
    const T = new Float32Array(dst.buffer);
    for (let c = 3; c < 30; c++) {
      rows.forEach((o, j) => expect(T[(c - 3) * rows.length + j]).toBe(W[o * inp + c]));
    }
  });

  it('float16: the same bits as the adapter writer, rounding to nearest even', () => {
    const dst = new Uint8Array(inp * out * 2);
    writeTransposedF16(dst, W, inp, 0, inp, rowRange(0, out));
    const T = new Uint16Array(dst.buffer);
    const ref = float32ToFloat16(W);
    for (let c = 0; c < inp; c++) {
      for (let o = 0; o < out; o++) expect(T[c * out + o]).toBe(ref[o * inp + c]);
    }
    for (const v of [0, -0, 1, 65504, 1e-7, -3.14159, 70000, Infinity]) {
      expect(fromHalfBits(toHalfBits(v))).toBe(
        fromHalfBits(float32ToFloat16(Float32Array.of(v))[0]!),
      );
    }
  });

  it('int8: per-output-channel symmetric, error at most half a step', () => {
    const all = rowRange(0, out);
    const scales = int8Scales(W, inp, 0, inp, all);
    const dst = new Uint8Array(inp * out);
    writeTransposedInt8(dst, W, inp, scales, 0, inp, all);
    const q = new Int8Array(dst.buffer);
    for (let o = 0; o < out; o++) {
      let absmax = 0;
      for (let c = 0; c < inp; c++) absmax = Math.max(absmax, Math.abs(W[o * inp + c]!));
      expect(scales[o]).toBeCloseTo(absmax / 127, 7);
      for (let c = 0; c < inp; c++) {
        const v = q[c * out + o]!;
        expect(Math.abs(v)).toBeLessThanOrEqual(127);
        expect(Math.abs(v * scales[o]! - W[o * inp + c]!)).toBeLessThanOrEqual(
          scales[o]! / 2 + 1e-7,
        );
      }
    }
  });
});

describe('4-bit blocks (MatMulNBits layout)', () => {
  it('packs two weights a byte, low nibble first, with the block extreme exact', () => {
    // One row, one block of 16: values chosen so the levels are known.
    const s = 0.25;
    const levels = [-8, -7, -1, 0, 1, 2, 3, 7, 6, 5, 4, -2, -3, -4, -5, -6];
    const W = Float32Array.from(levels, (l) => -l * s); // extreme +2 maps to level -8: scale -0.25
    const { packedBytes, scaleCount } = q4Layout(16, 1, 16);
    const packed = new Uint8Array(packedBytes);
    const scales = new Float32Array(scaleCount);
    quantizeQ4(W, 16, 0, 16, rowRange(0, 1), 16, packed, scales);
    expect(scales[0]).toBe(-0.25);
    expect(packed[0]).toBe((-8 + 8) | ((-7 + 8) << 4));
    expect(packed[1]).toBe((-1 + 8) | ((0 + 8) << 4));
    expect(Array.from(dequantizeQ4(packed, scales, 16, 1, 16))).toEqual(Array.from(W));
  });

  it('quantizes any K (padded last block) and row selection within half a step (one where clamped)', () => {
    const out = 9;
    const inp = 100;
    const W = matrix(out, inp);
    const rows = Int32Array.from([8, 3, 3, 0]);
    for (const blockSize of [16, 32, 64, 128]) {
      const K = 70; // columns 10..80: two full 32-blocks and a padded one, etc.
      const { packedBytes, scaleCount, blocks } = q4Layout(K, rows.length, blockSize);
      const packed = new Uint8Array(packedBytes);
      const scales = new Float32Array(scaleCount);
      quantizeQ4(W, inp, 10, 80, rows, blockSize, packed, scales);
      const D = dequantizeQ4(packed, scales, K, rows.length, blockSize);
      rows.forEach((o, j) => {
        for (let k = 0; k < K; k++) {
          const scale = scales[j * blocks + Math.floor(k / blockSize)]!;
          const err = Math.abs(D[j * K + k]! - W[o * inp + 10 + k]!);
          // Half a step, or a whole one where level +7 clamps (the side opposite the extreme).
          const clamped = Math.round(D[j * K + k]! / scale) === 7;
          expect(err).toBeLessThanOrEqual(Math.abs(scale) * (clamped ? 1 : 0.5) + 1e-6);
        }
      });
      // Padding nibbles are the zero level.
      const lastBlob = packed.subarray(packedBytes - blockSize / 2);
      if (K % blockSize !== 0) expect(lastBlob[lastBlob.length - 1]).toBe(0x88);
    }
  });

  it('keeps an all-zero block at zero', () => {
    const packed = new Uint8Array(16);
    const scales = new Float32Array(1);
    quantizeQ4(new Float32Array(32), 32, 0, 32, rowRange(0, 1), 32, packed, scales);
    expect(scales[0]).toBe(0);
    expect(Array.from(dequantizeQ4(packed, scales, 32, 1, 32)).every((v) => v === 0)).toBe(true);
  });

  it('chooses the levels with the float16-rounded scale when scales are stored in half', () => {
    const W = matrix(1, 32, (_, c) => (c === 0 ? 1.2345678 : Math.cos(c)));
    const packed = new Uint8Array(16);
    const scales = new Float32Array(1);
    quantizeQ4(W, 32, 0, 32, rowRange(0, 1), 32, packed, scales, true);
    expect(fromHalfBits(toHalfBits(scales[0]!))).toBe(scales[0]);
  });
});
