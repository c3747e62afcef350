/**
 * The LLM worker: llama.cpp (wllama) beside the T2L worker, so a long prompt never blocks the page
 * or a generation. Calls that touch the model (`prepare`, `complete`, `unload`) run one at a time;
 * `stats` answers at once. Cancelling a `complete` is the Stop button: it ends with the text so far.
 * Protocol: llm-protocol.ts.
 */
import { T2LError } from '../../core/errors';
import { HttpError } from './downloads';
import { prepare } from './llm-prepare';
import { LlmEngine } from './llm-engine';
import type { LlmInbound, LlmMethods, LlmOutbound, LlmProgress } from './llm-protocol';
import type { WorkerError } from './rpc-protocol';
import { serveRpc, type RpcScope } from './rpc-serve';

const engine = new LlmEngine();

function toWorkerError(e: unknown, signal: AbortSignal): WorkerError {
  if (signal.aborted) return { code: 'cancelled', message: 'Cancelled.' };
  if (e instanceof HttpError)
    return { code: 'http', message: e.message, status: e.status, url: e.url };
  if (e instanceof T2LError) return { code: e.code, message: e.message };
  return { code: 'internal', message: e instanceof Error ? e.message : String(e) };
}

type Handler<M extends keyof LlmMethods> = (
  params: LlmMethods[M]['params'],
  signal: AbortSignal,
  progress: (p: LlmProgress) => void,
) => Promise<LlmMethods[M]['result']>;

const handlers: { [M in keyof LlmMethods]: Handler<M> } = {
  prepare: (params, signal, progress) => prepare(engine, params, signal, progress),
  complete: (params, signal, progress) =>
    engine.complete(params, (text) => progress({ type: 'token', text }), signal, progress),
  stats: async () => engine.stats(),
  unload: async () => {
    await engine.unload();
    return null;
  },
};

serveRpc<LlmMethods, LlmProgress>(self as unknown as RpcScope<LlmInbound, LlmOutbound>, {
  accept:
    (msg, { signal, progress }) =>
    () =>
      (handlers[msg.method] as Handler<keyof LlmMethods>)(msg.params as never, signal, progress),
  lane: (method) => (method === 'stats' ? 'now' : 'queue'),
  toError: toWorkerError,
  // A stopped completion still answers with what it generated.
  keepsResultWhenCancelled: (method) => method === 'complete',
});
