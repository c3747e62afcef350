/**
 * The page's side of a worker protocol (worker/rpc-protocol.ts), one typed client for both workers
 * (worker-client.ts: the T2L worker; llm-client.ts: the LLM worker). Calls get ids; progress events
 * go to the call's callback; the one result or error settles it; an error arrives as a
 * WorkerCallError, the project's T2LError, carrying the worker's code and message (a T2LError's
 * code passes through; 'http', 'cancelled' and 'internal' are T2LError codes too); a
 * worker that crashes or fails to load fails every call it held, and the next call starts a new one.
 *
 * Cancelling differs by worker, so it is an option:
 * - 'at-once' (T2L): the call is rejected as cancelled at once; if the worker has not let go of it
 *   `graceMs` later (a synchronous wasm run cannot be interrupted), the worker is replaced and the
 *   calls still waiting in it are sent to the new one.
 * - 'by-worker' (LLM): the cancel is sent and the call settles with what the worker answers (a
 *   stopped completion answers with its text so far); the worker, which holds a loaded model, stays.
 */
import { isT2LErrorCode, T2LError } from '../../core/errors';
import type { MethodMap, RpcInbound, RpcOutbound, WorkerError } from '../worker/rpc-protocol';

/**
 * A failed worker call, as the project's error type: `code` is the worker's code (a code this page
 * does not know, e.g. from a worker of another version, is 'internal'); `detail` is all the worker
 * said (its code as sent, message, HTTP facts).
 */
export class WorkerCallError extends T2LError {
  constructor(readonly detail: WorkerError) {
    super(isT2LErrorCode(detail.code) ? detail.code : 'internal', detail.message);
    this.name = 'WorkerCallError';
  }
}

/** What the client needs of a Worker (tests pass a fake with the same members). */
export interface RpcPort<In, Out> {
  postMessage(message: In, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<Out>) => void) | null;
  onerror: ((event: ErrorEvent) => void) | null;
  terminate(): void;
}

/**
 * A deadline a progress event arms on its call: if it is not disarmed within `ms`, the worker is
 * terminated, the call fails with `error` and every other call it held with `othersMessage`.
 */
export interface Watchdog {
  ms: number;
  error: WorkerError;
  othersMessage: string;
}

export interface RpcOptions<P> {
  /** Named when the worker stops: "The <name> stopped: …". */
  name: string;
  cancel: { settle: 'at-once'; graceMs: number } | { settle: 'by-worker' };
  /**
   * Progress the client acts on instead of passing it to the caller: a Watchdog arms the call's
   * deadline, 'disarm' clears it; undefined passes the event on.
   */
  watch?: (progress: P) => Watchdog | 'disarm' | undefined;
}

export interface RpcCallOptions<P> {
  onProgress?: (p: P) => void;
  signal?: AbortSignal;
  /**
   * Buffers in `params` to move to the worker instead of copying them (a 440 MB graph). They are
   * unusable here afterwards, so such a call is failed, not re-sent, if its worker is replaced.
   */
  transfer?: Transferable[];
}

export interface RpcClient<M extends MethodMap<M>, P> {
  call<K extends keyof M & string>(
    method: K,
    params: M[K]['params'],
    options?: RpcCallOptions<P>,
  ): Promise<M[K]['result']>;
  /** Ends the worker and fails every call it held; the next call starts a new one. */
  terminate(): void;
  /** Times the worker was replaced after a cancel it could not honour (tests read it). */
  readonly restarts: number;
}

interface Pending<In, P> {
  message: In;
  resolve: (value: unknown) => void;
  reject: (e: Error) => void;
  onProgress?: (p: P) => void;
  watchdog?: ReturnType<typeof setTimeout>;
  /** Its message moved buffers to the worker (RpcCallOptions.transfer). */
  transferred: boolean;
}

const cancelled = () => new WorkerCallError({ code: 'cancelled', message: 'Cancelled.' });

export function createRpcClient<M extends MethodMap<M>, P>(
  spawn: () => RpcPort<RpcInbound<M>, RpcOutbound<P>>,
  options: RpcOptions<P>,
): RpcClient<M, P> {
  type In = RpcInbound<M>;
  type Port = RpcPort<In, RpcOutbound<P>>;
  let worker: Port | null = null;
  let nextId = 1;
  let restarts = 0;
  const pending = new Map<number, Pending<In, P>>();
  /** Cancelled calls ('at-once') the worker has not finished yet. */
  const draining = new Set<number>();

  function failAll(message: string) {
    for (const [id, call] of pending) {
      pending.delete(id);
      clearTimeout(call.watchdog);
      call.reject(new WorkerCallError({ code: 'internal', message }));
    }
  }

  function stop(w: Port) {
    if (worker === w) worker = null;
    w.terminate();
  }

  function onProgress(w: Port, id: number, call: Pending<In, P>, progress: P) {
    const watch = options.watch?.(progress);
    if (watch === undefined) return call.onProgress?.(progress);
    clearTimeout(call.watchdog);
    delete call.watchdog;
    if (watch === 'disarm') return;
    call.watchdog = setTimeout(() => {
      pending.delete(id);
      stop(w);
      call.reject(new WorkerCallError(watch.error));
      failAll(watch.othersMessage);
    }, watch.ms);
  }

  function start(): Port {
    if (worker) return worker;
    const w = spawn();
    w.onmessage = (event) => {
      const msg = event.data;
      if (msg.type !== 'progress') draining.delete(msg.id);
      const call = pending.get(msg.id);
      if (!call) return;
      if (msg.type === 'progress') return onProgress(w, msg.id, call, msg.progress);
      pending.delete(msg.id);
      clearTimeout(call.watchdog);
      if (msg.type === 'result') call.resolve(msg.result);
      else call.reject(new WorkerCallError(msg.error));
    };
    w.onerror = (e) => {
      // A worker that failed to load or crashed: fail what it held, start afresh next time.
      e.preventDefault();
      stop(w);
      draining.clear();
      failAll(`The ${options.name} stopped: ${e.message || 'it could not be loaded'}`);
    };
    worker = w;
    return w;
  }

  /** Replaces a worker stuck in a cancelled call; the calls waiting in it go to the new one. */
  function replace() {
    restarts++;
    if (worker) stop(worker);
    draining.clear();
    const w = start();
    for (const [id, call] of pending) {
      if (!call.transferred) {
        w.postMessage(call.message);
        continue;
      }
      pending.delete(id);
      call.reject(
        new WorkerCallError({
          code: 'internal',
          message: `The ${options.name} was restarted while holding this call's data.`,
        }),
      );
    }
  }

  function onAbort(id: number, reject: (e: Error) => void) {
    if (!pending.has(id)) return;
    if (options.cancel.settle === 'by-worker') {
      worker?.postMessage({ type: 'cancel', id });
      return;
    }
    pending.delete(id);
    draining.add(id);
    worker?.postMessage({ type: 'cancel', id });
    reject(cancelled());
    setTimeout(() => {
      if (draining.has(id)) replace();
    }, options.cancel.graceMs);
  }

  return {
    get restarts() {
      return restarts;
    },
    call(method, params, callOptions = {}) {
      const id = nextId++;
      const message = { type: 'call', id, method, params } as In;
      return new Promise((resolve, reject) => {
        const { signal, onProgress, transfer = [] } = callOptions;
        if (signal?.aborted) return reject(cancelled());
        pending.set(id, {
          message,
          resolve: resolve as (v: unknown) => void,
          reject,
          ...(onProgress ? { onProgress } : {}),
          transferred: transfer.length > 0,
        });
        start().postMessage(message, transfer);
        signal?.addEventListener('abort', () => onAbort(id, reject), { once: true });
      });
    },
    terminate() {
      if (worker) stop(worker);
      draining.clear();
      failAll(`The ${options.name} was stopped.`);
    },
  };
}
