/**
 * The page's side of the worker protocol: typed calls with ids, progress callbacks and
 * cancellation. A cancelled call settles at once; if the worker has not let go of it shortly after
 * (a long synchronous wasm run cannot be interrupted), the worker is replaced and any other calls
 * waiting in it are sent to the new one.
 */
import type { Inbound, Method, Methods, Outbound, Progress, WorkerError } from '../worker/protocol';

export class WorkerCallError extends Error {
  constructor(readonly detail: WorkerError) {
    super(detail.message);
    this.name = 'WorkerCallError';
  }
}

export interface CallOptions {
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
}

interface Pending {
  message: Inbound;
  resolve: (value: unknown) => void;
  reject: (e: Error) => void;
  onProgress?: (p: Progress) => void;
}

/** How long a cancelled call may keep the worker busy before it is replaced. */
const CANCEL_GRACE_MS = 1500;

export interface WorkerClient {
  call<M extends Method>(
    method: M,
    params: Methods[M]['params'],
    options?: CallOptions,
  ): Promise<Methods[M]['result']>;
  /** Times the worker was replaced after a cancel it could not honour (tests read it). */
  readonly restarts: number;
}

export function createWorkerClient(spawn: () => Worker): WorkerClient {
  let worker: Worker | null = null;
  let nextId = 1;
  let restarts = 0;
  const pending = new Map<number, Pending>();
  /** Cancelled calls the worker has not finished yet. */
  const draining = new Set<number>();

  function onMessage(event: MessageEvent<Outbound>) {
    const msg = event.data;
    if (msg.type !== 'progress') draining.delete(msg.id);
    const call = pending.get(msg.id);
    if (!call) return;
    if (msg.type === 'progress') return call.onProgress?.(msg.progress);
    pending.delete(msg.id);
    if (msg.type === 'result') call.resolve(msg.result);
    else call.reject(new WorkerCallError(msg.error));
  }

  function start(): Worker {
    if (worker) return worker;
    const w = spawn();
    w.onmessage = onMessage;
    w.onerror = (e) => {
      // A worker that failed to load or crashed: fail what it held, start afresh next time.
      e.preventDefault();
      if (worker === w) worker = null;
      w.terminate();
      for (const [id, call] of pending) {
        pending.delete(id);
        call.reject(
          new WorkerCallError({
            code: 'internal',
            message: `The generation worker stopped: ${e.message || 'it could not be loaded'}`,
          }),
        );
      }
    };
    worker = w;
    return w;
  }

  function replace() {
    restarts++;
    worker?.terminate();
    worker = null;
    draining.clear();
    const w = start();
    for (const call of pending.values()) w.postMessage(call.message);
  }

  return {
    get restarts() {
      return restarts;
    },
    call(method, params, options = {}) {
      const id = nextId++;
      const message = { type: 'call', id, method, params } as Inbound;
      return new Promise((resolve, reject) => {
        if (options.signal?.aborted) {
          return reject(new WorkerCallError({ code: 'cancelled', message: 'Cancelled.' }));
        }
        pending.set(id, {
          message,
          resolve: resolve as (v: unknown) => void,
          reject,
          ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        });
        start().postMessage(message);
        options.signal?.addEventListener(
          'abort',
          () => {
            if (!pending.delete(id)) return;
            draining.add(id);
            worker?.postMessage({ type: 'cancel', id } satisfies Inbound);
            reject(new WorkerCallError({ code: 'cancelled', message: 'Cancelled.' }));
            setTimeout(() => {
              if (draining.has(id)) replace();
            }, CANCEL_GRACE_MS);
          },
          { once: true },
        );
      });
    },
  };
}

let shared: WorkerClient | null = null;

/** The app's one generation worker, started on first use. */
export function workerClient(): WorkerClient {
  shared ??= createWorkerClient(
    () => new Worker(new URL('../worker/t2l.worker.ts', import.meta.url), { type: 'module' }),
  );
  return shared;
}
