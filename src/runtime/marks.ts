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

/** Wall-clock span of a stage timed in another thread (performance.timeOrigin + now(), in ms). */
export interface EpochSpan {
  name: string;
  start: number;
  end: number;
}

/** The same span in epoch milliseconds, for a stage this thread times for another (a worker). */
export async function timedSpan<T>(
  name: string,
  fn: () => Promise<T>,
  spans: EpochSpan[],
): Promise<T> {
  const start = performance.timeOrigin + performance.now();
  try {
    return await fn();
  } finally {
    spans.push({ name, start, end: performance.timeOrigin + performance.now() });
  }
}

/** Records spans another thread timed (timedSpan) as this thread's `t2l:<name>` measures. */
export function measureSpans(spans: readonly EpochSpan[]): void {
  for (const s of spans) {
    try {
      performance.measure(`t2l:${s.name}`, {
        start: s.start - performance.timeOrigin,
        end: s.end - performance.timeOrigin,
      });
    } catch {
      // As in measure().
    }
  }
}
