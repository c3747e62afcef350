/**
 * A bounded work queue: at most `concurrency` jobs run at once and at most `maxWaiting` wait for a
 * slot; past that a job is refused at once (the server answers 503 + Retry-After). Each job has a
 * deadline covering its wait and its run. A run that misses its deadline cannot be stopped (an
 * onnxruntime run is not cancellable), so its slot stays taken until it really ends: the count of
 * running jobs never under-reports the load.
 */

export class QueueFullError extends Error {
  constructor(readonly retryAfterS: number) {
    super('the server is busy: its queue is full');
    this.name = 'QueueFullError';
  }
}

export class DeadlineError extends Error {
  constructor(
    readonly phase: 'waiting' | 'running',
    readonly timeoutMs: number,
    readonly retryAfterS: number,
  ) {
    super(
      phase === 'waiting'
        ? `the request waited ${timeoutMs} ms for a free slot and timed out; the server is busy`
        : `the request did not finish within ${timeoutMs} ms`,
    );
    this.name = 'DeadlineError';
  }
}

export class AbortedError extends Error {
  constructor() {
    super('the client went away before the request started');
    this.name = 'AbortedError';
  }
}

interface Waiting {
  start: () => void;
  fail: (e: Error) => void;
}

export class WorkQueue {
  private running = 0;
  private readonly waiting: Waiting[] = [];
  private idle: Array<() => void> = [];
  /** Smoothed run time in ms, for Retry-After. */
  private avgMs = 50;

  constructor(
    readonly concurrency: number,
    readonly maxWaiting: number,
  ) {}

  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  /** Seconds until a slot is likely free, for Retry-After (at least 1). */
  retryAfterS(): number {
    const ahead = this.waiting.length + 1;
    return Math.max(1, Math.ceil((this.avgMs * ahead) / this.concurrency / 1000));
  }

  run<T>(job: () => Promise<T>, options: { timeoutMs: number; signal?: AbortSignal }): Promise<T> {
    if (this.running >= this.concurrency && this.waiting.length >= this.maxWaiting) {
      return Promise.reject(new QueueFullError(this.retryAfterS()));
    }
    return new Promise<T>((resolve, reject) => {
      let phase: 'waiting' | 'running' | 'done' = 'waiting';
      const entry: Waiting = {
        start: () => {
          phase = 'running';
          this.running++;
          const t0 = performance.now();
          // Settles the caller once; the slot frees only when the job itself ends.
          Promise.resolve()
            .then(job)
            .then(
              (v) => settle(() => resolve(v)),
              (e: unknown) => settle(() => reject(e)),
            )
            .finally(() => {
              this.avgMs = 0.8 * this.avgMs + 0.2 * (performance.now() - t0);
              this.running--;
              this.next();
            });
        },
        fail: (e) => settle(() => reject(e)),
      };
      const settle = (fn: () => void) => {
        if (phase === 'done') return;
        phase = 'done';
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const timer = setTimeout(() => {
        if (phase === 'waiting') this.remove(entry);
        if (phase !== 'done') {
          entry.fail(new DeadlineError(phase, options.timeoutMs, this.retryAfterS()));
        }
      }, options.timeoutMs);
      const onAbort = () => {
        if (phase !== 'waiting') return;
        this.remove(entry);
        entry.fail(new AbortedError());
      };
      options.signal?.addEventListener('abort', onAbort);
      if (this.running < this.concurrency && this.waiting.length === 0) entry.start();
      else this.waiting.push(entry);
    });
  }

  /** Resolves once nothing runs and nothing waits. */
  whenIdle(): Promise<void> {
    if (this.running === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private remove(entry: Waiting): void {
    const i = this.waiting.indexOf(entry);
    if (i >= 0) this.waiting.splice(i, 1);
    this.checkIdle();
  }

  private next(): void {
    while (this.running < this.concurrency && this.waiting.length > 0)
      this.waiting.shift()!.start();
    this.checkIdle();
  }

  private checkIdle(): void {
    if (this.running === 0 && this.waiting.length === 0 && this.idle.length > 0) {
      const idle = this.idle;
      this.idle = [];
      for (const resolve of idle) resolve();
    }
  }
}
