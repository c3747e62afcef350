import { afterEach, describe, expect, it, vi } from 'vitest';
import { timeInterleaved } from '../../../scripts/bench/interleave';

/** Runs timeInterleaved with runs that only record their order; times are not looked at. */
async function order(runs: number, batchRuns: number) {
  const seen: string[] = [];
  const r = await timeInterleaved({
    runs,
    batchRuns,
    before: (kind) => seen.push(kind === 'single' ? '(s)' : '(b)'),
    single: async () => seen.push('s'),
    batch: async () => seen.push('b'),
  });
  return { seen: seen.join(' '), singles: r.single.length, batches: r.batch.length };
}

describe('timeInterleaved (the bench cases’ timed runs)', () => {
  afterEach(() => vi.restoreAllMocks());

  it('spreads the batches among the singles, each timed run after its untimed preparation', async () => {
    const r = await order(6, 3);
    expect(r.seen).toBe('(s) s (s) s (b) b (s) s (s) s (b) b (s) s (s) s (b) b');
    expect([r.singles, r.batches]).toEqual([6, 3]);
  });

  it('runs exactly the asked counts when they do not divide, or batches outnumber singles', async () => {
    expect(await order(10, 3)).toMatchObject({ singles: 10, batches: 3 });
    const few = await order(2, 4);
    expect(few.seen.replace(/\(.\) /g, '')).toBe('s b s b b b');
    expect(await order(5, 0)).toMatchObject({ singles: 5, batches: 0 });
  });

  it('times the runs only, not their preparation', async () => {
    // A fake clock that each step advances by its own amount: a single 1, a batch 10, the
    // untimed preparation (the Node cases' garbage collection) 1000.
    let clock = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => clock);
    const r = await timeInterleaved({
      runs: 4,
      batchRuns: 2,
      before: () => void (clock += 1000),
      single: async () => void (clock += 1),
      batch: async () => void (clock += 10),
    });
    expect(r.single).toEqual([1, 1, 1, 1]);
    expect(r.batch).toEqual([10, 10]);
  });
});
