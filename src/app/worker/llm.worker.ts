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

const engine = new LlmEngine();
const post = (msg: LlmOutbound) => self.postMessage(msg);
const jobs = new Map<number, AbortController>();
let queue: Promise<unknown> = Promise.resolve();

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

self.onmessage = (event: MessageEvent<LlmInbound>) => {
  const msg = event.data;
  if (msg.type === 'cancel') {
    jobs.get(msg.id)?.abort(new DOMException('Cancelled', 'AbortError'));
    return;
  }
  const controller = new AbortController();
  jobs.set(msg.id, controller);
  const progress = (p: LlmProgress) => post({ type: 'progress', id: msg.id, progress: p });
  const run = async () => {
    try {
      controller.signal.throwIfAborted();
      const handler = handlers[msg.method] as Handler<keyof LlmMethods>;
      const result = await handler(msg.params as never, controller.signal, progress);
      // A stopped completion still answers with what it generated.
      if (msg.method !== 'complete') controller.signal.throwIfAborted();
      post({ type: 'result', id: msg.id, result });
    } catch (e) {
      post({ type: 'error', id: msg.id, error: toWorkerError(e, controller.signal) });
    } finally {
      jobs.delete(msg.id);
    }
  };
  if (msg.method === 'stats') void run();
  else queue = queue.then(run);
};
