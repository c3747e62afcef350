/**
 * User-timing measures ("t2l:…") around the start-up and generation stages, so that a benchmark
 * (scripts/bench/first-adapter.ts) reads each stage's time from the worker's own
 * `performance.getEntriesByType('measure')` instead of guessing it. Nothing in the app reads them.
 */
export async function measured<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const start = performance.now();
  try {
    return await fn();
  } finally {
    measure(name, start);
  }
}

/** Records `t2l:<name>` from `start` (a performance.now() time) to now. */
export function measure(name: string, start: number): void {
  try {
    performance.measure(`t2l:${name}`, { start, end: performance.now() });
  } catch {
    // User timing unavailable: timings are a diagnostic, never a failure.
  }
}
