/**
 * The page's side of the LLM worker (llm-protocol.ts): typed calls with ids, progress (download,
 * stage, streamed tokens) and cancellation. Unlike the T2L worker's client, a cancelled call never
 * replaces the worker: it holds the loaded base model, and wllama stops a completion between tokens.
 *
 * One exception: the base's chat template is a stranger's code that the worker renders
 * synchronously. The worker says when a render starts and ends (TemplateProgress); a render that
 * has not ended within its limit cannot be interrupted from inside, so the client terminates the
 * worker, fails the call with the worker's message (the file and "Plain prompt"), and the next
 * call starts a fresh worker (which loads the base again).
 */
import type {
  LlmInbound,
  LlmMethod,
  LlmMethods,
  LlmOutbound,
  LlmProgress,
  TemplateProgress,
} from '../worker/llm-protocol';
import { WorkerCallError } from './worker-client';

export interface LlmCallOptions {
  onProgress?: (p: LlmProgress) => void;
  /** Aborting sends a cancel; the call then settles with whatever the worker answers. */
  signal?: AbortSignal;
}

export interface LlmClient {
  call<M extends LlmMethod>(
    method: M,
    params: LlmMethods[M]['params'],
    options?: LlmCallOptions,
  ): Promise<LlmMethods[M]['result']>;
  /** Ends the worker (and the model it holds); the next call starts a new one. */
  terminate(): void;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  onProgress?: (p: LlmProgress) => void;
  /** The chat template's render under way: terminates the worker when it fires. */
  watchdog?: ReturnType<typeof setTimeout>;
}

export function createLlmClient(spawn: () => Worker): LlmClient {
  let worker: Worker | null = null;
  let nextId = 1;
  const pending = new Map<number, Pending>();

  function failAll(message: string) {
    for (const [id, call] of pending) {
      pending.delete(id);
      clearTimeout(call.watchdog);
      call.reject(new WorkerCallError({ code: 'internal', message }));
    }
  }

  function stop(w: Worker) {
    if (worker === w) worker = null;
    w.terminate();
  }

  /** Starts or clears the watchdog of a call's chat-template render. */
  function watch(w: Worker, id: number, call: Pending, p: TemplateProgress) {
    clearTimeout(call.watchdog);
    delete call.watchdog;
    if (p.state !== 'start') return;
    call.watchdog = setTimeout(() => {
      pending.delete(id);
      stop(w);
      call.reject(new WorkerCallError({ code: 'bad-input', message: p.timeoutMessage }));
      failAll('The LLM worker was stopped: a chat template did not finish rendering.');
    }, p.limitMs);
  }

  function start(): Worker {
    if (worker) return worker;
    const w = spawn();
    w.onmessage = (event: MessageEvent<LlmOutbound>) => {
      const msg = event.data;
      const call = pending.get(msg.id);
      if (!call) return;
      if (msg.type === 'progress') {
        if (msg.progress.type === 'template') return watch(w, msg.id, call, msg.progress);
        return call.onProgress?.(msg.progress);
      }
      pending.delete(msg.id);
      clearTimeout(call.watchdog);
      if (msg.type === 'result') call.resolve(msg.result);
      else call.reject(new WorkerCallError(msg.error));
    };
    w.onerror = (e) => {
      e.preventDefault();
      stop(w);
      failAll(`The LLM worker stopped: ${e.message || 'it could not be loaded'}`);
    };
    worker = w;
    return w;
  }

  return {
    call(method, params, options = {}) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        if (options.signal?.aborted) {
          return reject(new WorkerCallError({ code: 'cancelled', message: 'Cancelled.' }));
        }
        pending.set(id, {
          resolve: resolve as (v: unknown) => void,
          reject,
          ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        });
        start().postMessage({ type: 'call', id, method, params } as LlmInbound);
        options.signal?.addEventListener(
          'abort',
          () => worker?.postMessage({ type: 'cancel', id } satisfies LlmInbound),
          { once: true },
        );
      });
    },
    terminate() {
      worker?.terminate();
      worker = null;
      failAll('The LLM worker was stopped.');
    },
  };
}

let shared: LlmClient | null = null;

/** A new LLM worker (llm.worker.ts); the bundler resolves this URL in dev and in the build alike. */
export function spawnLlmWorker(): Worker {
  return new Worker(new URL('../worker/llm.worker.ts', import.meta.url), { type: 'module' });
}

/** The app's one LLM worker, started on first use (Generate's Try panel, Compare, History). */
export function llmClient(): LlmClient {
  shared ??= createLlmClient(spawnLlmWorker);
  return shared;
}
