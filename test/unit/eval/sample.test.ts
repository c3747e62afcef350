/** Seeded benchmark samples (src/core/eval/sample.ts). */
import { describe, expect, it } from 'vitest';
import { limitNote, sampleIndices } from '../../../src/core/eval/sample';

describe('sampleIndices', () => {
  it('distinct indexes in range, ascending, the same for the same seed', () => {
    const a = sampleIndices(1000, 50, 7);
    expect(a).toHaveLength(50);
    expect(new Set(a).size).toBe(50);
    expect(a.every((i) => Number.isInteger(i) && i >= 0 && i < 1000)).toBe(true);
    expect(a).toEqual([...a].sort((x, y) => x - y));
    expect(sampleIndices(1000, 50, 7)).toEqual(a);
    expect(sampleIndices(1000, 50, 8)).not.toEqual(a);
  });

  it('asking for the whole split or more gives every row; 0 gives none', () => {
    expect(sampleIndices(5, 5, 1)).toEqual([0, 1, 2, 3, 4]);
    expect(sampleIndices(5, 50, 1)).toEqual([0, 1, 2, 3, 4]);
    expect(sampleIndices(5, 0, 1)).toEqual([]);
    expect(sampleIndices(0, 3, 1)).toEqual([]);
  });

  it('is close to uniform: every row of 10 is drawn about equally often over many seeds', () => {
    const counts = new Array<number>(10).fill(0);
    const seeds = 4000;
    for (let s = 0; s < seeds; s++) for (const i of sampleIndices(10, 3, s)) counts[i]!++;
    // Each row is in a sample of 3 of 10 with probability 0.3: 1200 expected, sd ≈ 29.
    for (const c of counts) expect(Math.abs(c - 1200)).toBeLessThan(150);
  });

  it('refuses bad sizes and seeds', () => {
    expect(() => sampleIndices(-1, 3, 0)).toThrow(RangeError);
    expect(() => sampleIndices(10, 1.5, 0)).toThrow(RangeError);
    expect(() => sampleIndices(10, 3, 2 ** 32)).toThrow(RangeError);
  });
});

describe('limitNote', () => {
  it('says when a sample asks for more rows than the set has, and only then', () => {
    expect(limitNote('--limit', 100, 20)).toBe(
      '--limit 100 but the set has 20 examples: scoring all 20',
    );
    expect(limitNote('N =', 21, 20)).toBe('N = 21 but the set has 20 examples: scoring all 20');
    expect(limitNote('--limit', 20, 20)).toBeNull();
    expect(limitNote('--limit', 5, 20)).toBeNull();
  });
});
