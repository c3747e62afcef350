import { describe, expect, it } from 'vitest';
import {
  bfloat16ToFloat32,
  float16ToFloat32,
  float32ToBfloat16,
  float32ToFloat16,
} from '../../../src/core/adapter/float16';

function fromBits(u: number): number {
  return new Float32Array(new Uint32Array([u]).buffer)[0]!;
}
const half = (x: number): number => float32ToFloat16(new Float32Array([x]))[0]!;
const bf16 = (x: number): number => float32ToBfloat16(new Float32Array([x]))[0]!;
const hex = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`;

describe('float32 -> float16', () => {
  it.each([
    ['1', 1, 0x3c00],
    ['-1', -1, 0xbc00],
    ['0', 0, 0x0000],
    ['-0', -0, 0x8000],
    ['largest half 65504', 65504, 0x7bff],
    ['just under the 65520 tie', 65519.99, 0x7bff],
    ['65520 ties away from odd 0x7bff: Inf', 65520, 0x7c00],
    ['1e6 overflows', 1e6, 0x7c00],
    ['-1e6 overflows', -1e6, 0xfc00],
    ['Inf', Infinity, 0x7c00],
    ['-Inf', -Infinity, 0xfc00],
    ['smallest normal 2^-14', 2 ** -14, 0x0400],
    ['smallest subnormal 2^-24', 2 ** -24, 0x0001],
    ['2^-25 ties to even: 0', 2 ** -25, 0x0000],
    ['-2^-25 ties to even: -0', -(2 ** -25), 0x8000],
    ['1.5 * 2^-25 rounds up', 1.5 * 2 ** -25, 0x0001],
    ['3 * 2^-25 ties to even: 2', 3 * 2 ** -25, 0x0002],
    ['2^-26 underflows', 2 ** -26, 0x0000],
    ['1023.5 * 2^-24 carries into the smallest normal', 1023.5 * 2 ** -24, 0x0400],
    ['1 + 2^-11 ties to even: 1', 1 + 2 ** -11, 0x3c00],
    ['1 + 3 * 2^-11 ties to even: 0x3c02', 1 + 3 * 2 ** -11, 0x3c02],
    ['1 + 2^-11 + 2^-20 rounds up', 1 + 2 ** -11 + 2 ** -20, 0x3c01],
    ['0.1', 0.1, 0x2e66],
  ])('%s', (_, x, bits) => {
    expect(hex(half(x))).toBe(hex(bits));
  });

  it('keeps NaN a NaN, even one whose payload sits in the dropped bits', () => {
    for (const u of [0x7fc00000, 0x7f800001, 0xff800001, 0x7fffffff]) {
      const h = half(fromBits(u));
      expect(h & 0x7c00).toBe(0x7c00);
      expect(h & 0x03ff).not.toBe(0);
      expect(h & 0x8000).toBe((u >>> 16) & 0x8000);
    }
  });

  it('round-trips every float16 bit pattern', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const wide = float16ToFloat32(all);
    const back = float32ToFloat16(wide);
    for (let h = 0; h < 65536; h++) {
      const nan = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
      if (nan) expect(wide[h]).toBeNaN();
      else if (back[h] !== h) expect(hex(back[h]!)).toBe(hex(h));
    }
    expect(wide[0x0001]).toBe(2 ** -24);
    expect(wide[0x03ff]).toBe(1023 * 2 ** -24);
    expect(wide[0x8001]).toBe(-(2 ** -24));
    expect(wide[0x7bff]).toBe(65504);
    expect(wide[0xfc00]).toBe(-Infinity);
    expect(Object.is(wide[0x8000], -0)).toBe(true);
  });

  it('picks the nearest half for random values across the range', () => {
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
    const xs = Float32Array.from(
      { length: 20000 },
      () => rand() * 2 ** Math.floor(rand() * 20 - 8),
    );
    const hs = float32ToFloat16(xs);
    const vs = float16ToFloat32(hs);
    const below = float16ToFloat32(hs.map((h) => Math.max(h - 1, h & 0x8000)));
    const above = float16ToFloat32(hs.map((h) => h + 1));
    const worse: number[] = [];
    for (let i = 0; i < xs.length; i++) {
      const err = Math.abs(xs[i]! - vs[i]!);
      if (err > Math.abs(xs[i]! - below[i]!) || err > Math.abs(xs[i]! - above[i]!))
        worse.push(xs[i]!);
    }
    expect(worse).toEqual([]);
  });

  it('writes into a given array and checks its length', () => {
    const out = new Uint16Array(2);
    expect(float32ToFloat16(new Float32Array([1, 2]), out)).toBe(out);
    expect([...out]).toEqual([0x3c00, 0x4000]);
    expect(() => float32ToFloat16(new Float32Array(3), out)).toThrow(/need 3/);
  });
});

describe('float32 -> bfloat16', () => {
  it.each([
    ['1', 1, 0x3f80],
    ['-2', -2, 0xc000],
    ['-0', -0, 0x8000],
    ['1 + 2^-8 ties to even: 1', 1 + 2 ** -8, 0x3f80],
    ['1 + 3 * 2^-8 ties to even: 0x3f82', 1 + 3 * 2 ** -8, 0x3f82],
    ['1 + 2^-8 + 2^-20 rounds up', 1 + 2 ** -8 + 2 ** -20, 0x3f81],
    ['largest float32 rounds to Inf', fromBits(0x7f7fffff), 0x7f80],
    ['Inf', Infinity, 0x7f80],
    ['-Inf', -Infinity, 0xff80],
    ['pi', Math.PI, 0x4049],
  ])('%s', (_, x, bits) => {
    expect(hex(bf16(x))).toBe(hex(bits));
  });

  it('keeps NaN a quiet NaN', () => {
    expect(hex(bf16(fromBits(0x7f800001)))).toBe('0x7fc0');
    expect(hex(bf16(fromBits(0xff800001)))).toBe('0xffc0');
    expect(bfloat16ToFloat32(new Uint16Array([bf16(NaN)]))[0]).toBeNaN();
  });

  it('round-trips every bfloat16 bit pattern', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const wide = bfloat16ToFloat32(all);
    const back = float32ToBfloat16(wide);
    for (let h = 0; h < 65536; h++) {
      const nan = (h & 0x7f80) === 0x7f80 && (h & 0x7f) !== 0;
      if (nan) expect(wide[h]).toBeNaN();
      else if (back[h] !== h) expect(hex(back[h]!)).toBe(hex(h));
    }
    expect(wide[0x3f80]).toBe(1);
  });
});
