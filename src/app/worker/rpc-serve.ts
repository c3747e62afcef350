/**
 * The worker's side of rpc-protocol.ts, one message loop for both workers (t2l.worker.ts,
 * llm.worker.ts): each call gets an AbortController (a cancel message aborts it) and a progress
 * function; it runs in the queue (one at a time, in arrival order) or at once beside it; it ends in
 * exactly one result or error message. A call cancelled before or while it runs answers
 * `{code: 'cancelled'}` unless its method keeps its result when cancelled (a stopped completion
 * answers with its text so far).
 */
import type { MethodMap, RpcInbound, RpcOutbound, WorkerError } from './rpc-protocol';

/** What the loop needs of the worker's global scope (tests pass a fake). */
export interface RpcScope<In, Out> {
  postMessage(message: Out, options?: { transfer?: Transferable[] }): void;
  onmessage: ((event: MessageEvent<In>) => void) | null;
}

export type RpcCall<M extends MethodMap<M>> = Extract<RpcInbound<M>, { type: 'call' }>;

export interface CallControl<P> {
  signal: AbortSignal;
  progress: (p: P) => void;
}

export interface ServeOptions<M extends MethodMap<M>, P> {
  /**
   * Called as each call arrives, in arrival order (so a counter of calls is exact): returns the
   * work to run when the call's turn comes.
   */
  accept(call: RpcCall<M>, control: CallControl<P>): () => Promise<unknown>;
  /** 'now': runs at once beside the queue (a question that must not wait behind a long call). */
  lane(method: keyof M): 'queue' | 'now';
  toError(e: unknown, signal: AbortSignal): WorkerError | Promise<WorkerError>;
  /** True for methods whose result is still sent when the call was cancelled while running. */
  keepsResultWhenCancelled?(method: keyof M): boolean;
  /** Buffers in a result to move to the page instead of copying them. */
  transfer?(result: unknown): Transferable[];
  /** After a call's answer was posted; `arrivedAt` is performance.now() when it came in. */
  answered?(method: keyof M, arrivedAt: number): void;
}

export function serveRpc<M extends MethodMap<M>, P>(
  scope: RpcScope<RpcInbound<M>, RpcOutbound<P>>,
  options: ServeOptions<M, P>,
): void {
  const jobs = new Map<number, AbortController>();
  let queue: Promise<unknown> = Promise.resolve();
  const post = (msg: RpcOutbound<P>, transfer: Transferable[] = []) =>
    scope.postMessage(msg, { transfer });

  scope.onmessage = (event) => {
    const msg = event.data;
    if (msg.type === 'cancel') {
      jobs.get(msg.id)?.abort(new DOMException('Cancelled', 'AbortError'));
      return;
    }
    const arrivedAt = performance.now();
    const controller = new AbortController();
    const { signal } = controller;
    jobs.set(msg.id, controller);
    const work = options.accept(msg as RpcCall<M>, {
      signal,
      progress: (progress) => post({ type: 'progress', id: msg.id, progress }),
    });
    const run = async () => {
      try {
        signal.throwIfAborted();
        const result = await work();
        if (!options.keepsResultWhenCancelled?.(msg.method)) signal.throwIfAborted();
        post({ type: 'result', id: msg.id, result }, options.transfer?.(result));
      } catch (e) {
        post({ type: 'error', id: msg.id, error: await options.toError(e, signal) });
      } finally {
        jobs.delete(msg.id);
      }
      options.answered?.(msg.method, arrivedAt);
    };
    if (options.lane(msg.method) === 'now') void run();
    else queue = queue.then(run);
  };
}
