/**
 * src/core/eval/stats.ts against computations written here independently: the sign test as an
 * exact rational binomial sum in BigInt, the Wilson interval as the roots of its defining quadratic,
 * and published values (Newcombe 1998, Table II, method 3; R's binom.test).
 */
import { describe, expect, it } from 'vitest';
import {
  Z95,
  accuracyOf,
  comparePaired,
  signTestP,
  wilsonInterval,
} from '../../../src/core/eval/stats';

/** min(1, 2·Σ_{i≤min(a,b)} C(n,i) / 2^n), exactly, as a double at the end. */
function exactSignP(a: number, b: number): number {
  const n = a + b;
  if (n === 0) return 1;
  let c = 1n;
  let tail = 0n;
  for (let i = 0; i <= Math.min(a, b); i++) {
    if (i > 0) c = (c * BigInt(n - i + 1)) / BigInt(i);
    tail += c;
  }
  const num = 2n * tail;
  const den = 1n << BigInt(n);
  if (num >= den) return 1;
  // 60 significant bits of the quotient, then to a double.
  const shift = 60n;
  return Number((num << shift) / den) / 2 ** 60;
}

/**
 * Wilson's interval is the set of p with (p̂ − p)² ≤ z²·p(1−p)/n, i.e. the roots of
 * (1 + z²/n)p² − (2p̂ + z²/n)p + p̂² = 0.
 */
function wilsonByQuadratic(k: number, n: number, z: number): [number, number] {
  const ph = k / n;
  const A = 1 + (z * z) / n;
  const B = -(2 * ph + (z * z) / n);
  const C = ph * ph;
  const d = Math.sqrt(B * B - 4 * A * C);
  return [(-B - d) / (2 * A), (-B + d) / (2 * A)];
}

describe('wilsonInterval', () => {
  it('equals the roots of its defining quadratic', () => {
    for (const [k, n] of [
      [0, 1],
      [1, 1],
      [3, 7],
      [10, 20],
      [19, 20],
      [0, 50],
      [50, 50],
      [437, 1000],
      [9999, 10000],
    ] as const) {
      const { low, high } = wilsonInterval(k, n);
      const [lo, hi] = wilsonByQuadratic(k, n, 1.959963984540054);
      expect(low).toBeCloseTo(Math.max(0, lo), 12);
      expect(high).toBeCloseTo(Math.min(1, hi), 12);
    }
  });

  it('Newcombe (1998) Table II, the score method without continuity correction', () => {
    const published: Array<[number, number, number, number]> = [
      [81, 263, 0.2553, 0.3662],
      [15, 148, 0.0624, 0.1605],
      [0, 20, 0.0, 0.1611],
      [1, 29, 0.0061, 0.1718],
    ];
    for (const [k, n, lo, hi] of published) {
      const { low, high } = wilsonInterval(k, n);
      expect(Math.abs(low - lo)).toBeLessThan(5e-5);
      expect(Math.abs(high - hi)).toBeLessThan(5e-5);
    }
  });

  it('z is the 0.975 normal quantile; n = 0 is [0, 1]; bad counts are refused', () => {
    // Φ(1.959963984540054) = 0.975: erfc-free check through the well-known value.
    expect(Z95).toBeCloseTo(1.96, 2);
    expect(wilsonInterval(0, 0)).toEqual({ low: 0, high: 1 });
    expect(() => wilsonInterval(3, 2)).toThrow(RangeError);
    expect(() => wilsonInterval(1.5, 2)).toThrow(RangeError);
  });
});

describe('signTestP (exact two-sided sign test / McNemar exact)', () => {
  it('equals the exact binomial sum', () => {
    for (const [a, b] of [
      [0, 0],
      [0, 1],
      [1, 0],
      [0, 5],
      [1, 9],
      [2, 10],
      [5, 5],
      [6, 4],
      [3, 17],
      [40, 60],
      [500, 560],
      [0, 1200],
    ] as const) {
      const want = exactSignP(a, b);
      const got = signTestP(a, b);
      if (want === 0) expect(got).toBeLessThan(1e-300);
      else expect(Math.abs(got - want) / want).toBeLessThan(1e-9);
    }
  });

  it("R's binom.test values", () => {
    // binom.test(1, 10)$p.value = 0.02148438; binom.test(2, 12)$p.value = 0.03857422
    expect(signTestP(1, 9)).toBeCloseTo(0.02148438, 8);
    expect(signTestP(10, 2)).toBeCloseTo(0.03857422, 8);
    expect(signTestP(5, 5)).toBe(1);
  });
});

describe('comparePaired and accuracyOf', () => {
  it('counts gained and lost on the same examples, with the sign test p', () => {
    const base = [true, true, false, false, true, false, false, false];
    const model = [true, false, true, true, true, true, false, true];
    const c = comparePaired(base, model);
    expect(c).toEqual({
      n: 8,
      gained: 4,
      lost: 1,
      bothRight: 2,
      bothWrong: 1,
      p: exactSignP(4, 1),
    });
    expect(() => comparePaired([true], [])).toThrow(RangeError);
  });

  it('accuracy with its interval', () => {
    const a = accuracyOf([true, false, true, true]);
    expect(a).toMatchObject({ n: 4, correct: 3, accuracy: 0.75 });
    const [lo, hi] = wilsonByQuadratic(3, 4, 1.959963984540054);
    expect(a.interval.low).toBeCloseTo(lo, 12);
    expect(a.interval.high).toBeCloseTo(hi, 12);
    expect(accuracyOf([]).accuracy).toBeNaN();
  });
});
