/**
 * The page's side of the LLM worker (llm-protocol.ts), through the typed client of worker-rpc.ts:
 * ids, progress (download, stage, streamed tokens) and cancellation. Unlike the T2L worker's
 * client, a cancelled call never replaces the worker: it holds the loaded base model, and wllama
 * stops a completion between tokens.
 *
 * One exception: the base's chat template is a stranger's code that the worker renders
 * synchronously. The worker says when a render starts and ends (TemplateProgress); a render that
 * has not ended within its limit cannot be interrupted from inside, so the client terminates the
 * worker, fails the call with the worker's message (the file and "Plain prompt"), and the next
 * call starts a fresh worker (which loads the base again).
 */
import type { LlmInbound, LlmMethods, LlmOutbound, LlmProgress } from '../worker/llm-protocol';
import { createRpcClient, type RpcCallOptions, type RpcClient, type RpcPort } from './worker-rpc';

export type LlmCallOptions = RpcCallOptions<LlmProgress>;
/** Aborting a call's signal sends a cancel; the call then settles with whatever the worker answers. */
export type LlmClient = RpcClient<LlmMethods, LlmProgress>;

export function createLlmClient(spawn: () => RpcPort<LlmInbound, LlmOutbound>): LlmClient {
  return createRpcClient<LlmMethods, LlmProgress>(spawn, {
    name: 'LLM worker',
    cancel: { settle: 'by-worker' },
    watch: (p) => {
      if (p.type !== 'template') return undefined;
      if (p.state !== 'start') return 'disarm';
      return {
        ms: p.limitMs,
        error: { code: 'bad-input', message: p.timeoutMessage },
        othersMessage: 'The LLM worker was stopped: a chat template did not finish rendering.',
      };
    },
  });
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
