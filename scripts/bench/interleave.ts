/**
 * The timed part of a hypernetwork case, shared by the Node cases (node-case.ts) and the Chromium
 * ones (e2e/harness/bench-functions.ts): `runs` single-adapter runs and `batchRuns` batches,
 * interleaved (s s b s s b …), so that "batch ÷ 8 singles" compares runs from the same minutes of
 * the machine's life, not all singles first and all batches after (a disturbance then lands on
 * one side only). `before` runs untimed before each timed run (Node: drop the last batch's
 * adapters, collect). No DOM, no Node imports. Times in ms (performance.now()).
 */
export async function timeInterleaved(o: {
  runs: number;
  batchRuns: number;
  single: () => Promise<unknown>;
  batch: () => Promise<unknown>;
  before?: (kind: 'single' | 'batch') => void;
}): Promise<{ single: number[]; batch: number[] }> {
  const single: number[] = [];
  const batch: number[] = [];
  const timed = async (kind: 'single' | 'batch', run: () => Promise<unknown>, into: number[]) => {
    o.before?.(kind);
    const t = performance.now();
    await run();
    into.push(performance.now() - t);
  };
  const every = Math.max(1, Math.floor(o.runs / Math.max(1, o.batchRuns)));
  for (let i = 0; i < o.runs || batch.length < o.batchRuns; i++) {
    if (i < o.runs) await timed('single', o.single, single);
    if (batch.length < o.batchRuns && ((i + 1) % every === 0 || i >= o.runs - 1)) {
      await timed('batch', o.batch, batch);
    }
  }
  return { single, batch };
}
