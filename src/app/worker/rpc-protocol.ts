/**
 * The message shapes both workers speak (the T2L worker's protocol.ts, the LLM worker's
 * llm-protocol.ts), each with its own method map and progress type. Every call carries an id; the
 * worker answers with any number of progress events and then exactly one result or error for that
 * id. A cancel message aborts the call with the same id. Everything here must survive structured
 * clone.
 */
import type { T2LErrorCode } from '../../core/errors';

/** A worker's methods by name (an interface M with M extends MethodMap<M>): params and result. */
export type MethodMap<M> = { [K in keyof M]: { params: unknown; result: unknown } };

/** A failure as it crosses from a worker to the page (the page makes it a WorkerCallError). */
export interface WorkerError {
  /** A T2LError code: the core's, 'http' for a failed download, 'cancelled', or 'internal'. */
  code: T2LErrorCode;
  message: string;
  /** HTTP status of a failed download. */
  status?: number;
  url?: string;
  /** Set when the remote endpoint failed: its HTTP status (0: no answer), and whether it answered
   * as something other than an inference server. */
  remote?: { status: number; notOip: boolean };
}

/** Page → worker: one call per method of M (typed params), or a cancel by id. */
export type RpcInbound<M extends MethodMap<M>> =
  | {
      [K in keyof M & string]: { type: 'call'; id: number; method: K; params: M[K]['params'] };
    }[keyof M & string]
  | { type: 'cancel'; id: number };

/** Worker → page: progress events of type P, then one result or error. */
export type RpcOutbound<P> =
  | { type: 'progress'; id: number; progress: P }
  | { type: 'result'; id: number; result: unknown }
  | { type: 'error'; id: number; error: WorkerError };
