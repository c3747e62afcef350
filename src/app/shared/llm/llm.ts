/**
 * The page's API for running prompts on a base model with generated adapters (Try panel, Compare's
 * Outputs row, History). It holds no state of its own: callers keep what they show in their stores.
 *
 *   const base = catalogBases(entries, entry)[0];              // or baseFromInput / baseFromFile
 *   const { prepared, ids } = await prepareLlm(base, adapters, { onProgress, signal });
 *   const out = await completeLlm(prepared, { prompt, system, adapter: ids[0], scale: 1 }, ids, {
 *     onToken: (t) => …, signal,                               // abort = Stop (keeps the text)
 *   });
 *
 * `prepareLlm` with every adapter at once loads the base once (prepared.baseLoads counts loads in
 * the worker's life); a later call with a new adapter reloads it with all of them (wllama 3.8.1
 * cannot add an adapter to a loaded model). Switching adapter or scale per request never reloads.
 */
import { useCapabilities } from '../capabilities-store';
import { useSettings } from '../settings-store';
import type { MatchRule } from '../../../core/eval/matching';
import type {
  CompleteResult,
  LlmAdapter,
  LlmProgress,
  PrepareResult,
  SamplingSettings,
} from '../../worker/llm-protocol';
import { toBaseSource, type BaseChoice } from './base-models';
import { sha256Hex } from '../../../core/digest';
import { llmClient } from '../llm-client';

/** One adapter for the LLM worker: its GGUF LoRA bytes (GeneratedFile.gguf) and a label. */
export interface AdapterInput {
  label: string;
  gguf: Uint8Array;
}

export interface LlmCallOptions {
  signal?: AbortSignal;
  onProgress?: (p: LlmProgress) => void;
}

/**
 * An adapter's id in the LLM worker: the SHA-256 of its GGUF bytes, so the same bytes (a History
 * entry reopened, a Compare column) are mounted once and different bytes never share an id.
 */
export async function adapterId(gguf: Uint8Array): Promise<string> {
  return `sha256:${(await sha256Hex(gguf)).slice(0, 32)}`;
}

/** Threads and GPU offload for llama.cpp, from what the T2L worker detected. */
export function llmRuntimeOptions(): { threads: number; gpuLayers: number } {
  const caps = useCapabilities.getState().caps;
  const webgpu = caps?.webgpu;
  // A software adapter (SwiftShader) is slower than wasm; wllama would not engage it anyway.
  const realGpu = Boolean(webgpu?.available && !webgpu.isFallbackAdapter);
  return { threads: Math.max(1, caps?.threads ?? 1), gpuLayers: realGpu ? 999 : 0 };
}

/**
 * Loads `base` in the LLM worker with `adapters` mounted (or keeps it, when exactly that is loaded)
 * after checking the base's GGUF header against each adapter. Ids come back in `adapters` order.
 */
export async function prepareLlm(
  base: BaseChoice,
  adapters: AdapterInput[],
  options: LlmCallOptions = {},
): Promise<{ prepared: PrepareResult; ids: string[] }> {
  const list: LlmAdapter[] = await Promise.all(
    adapters.map(async (a) => ({ id: await adapterId(a.gguf), label: a.label, gguf: a.gguf })),
  );
  const prepared = await llmClient().call(
    'prepare',
    {
      base: toBaseSource(base, useSettings.getState().hfToken),
      adapters: list,
      ...llmRuntimeOptions(),
    },
    options,
  );
  return { prepared, ids: list.map((a) => a.id) };
}

export interface PromptInput {
  /** The user's message. */
  prompt: string;
  /** System prompt ('' for none). */
  system: string;
  /** Text the assistant's turn starts with (accuracy runs' assistant_prefill); absent: none. */
  prefill?: string;
  /** Pass an empty system prompt as a system message (accuracy runs, as the reference). */
  keepEmptySystem?: boolean;
  /** Adapter id from prepareLlm, or null for the base model alone. */
  adapter: string | null;
  /** 0 = base, 1 = as generated, up to 2. */
  scale: number;
  maxTokens?: number;
  /** Absent: greedy decoding (comparable outputs). */
  sampling?: SamplingSettings;
  /** Top-n log-probabilities of the generated tokens (0: none). */
  logprobs?: number;
  /** false: a plain prompt, without the base's chat template (default: the "Plain prompt" setting). */
  useTemplate?: boolean;
  /** Accuracy runs: stop once the answer is settled by this matching rule (llm-protocol.ts). */
  decidedBy?: MatchRule;
}

/**
 * Runs one prompt: the base's chat template applied (in the LLM worker, within its budget), every mounted adapter's scale sent explicitly
 * (the chosen one at `scale`, the others 0). Tokens stream to `onToken`; aborting stops it and
 * resolves with the text so far (finish 'stopped').
 */
export async function completeLlm(
  prepared: PrepareResult,
  input: PromptInput,
  options: { signal?: AbortSignal; onToken?: (text: string) => void } = {},
): Promise<CompleteResult> {
  // The chat template is code from the base's author: rendered in the LLM worker, not here.
  const chat = {
    system: input.system,
    user: input.prompt,
    useTemplate: input.useTemplate ?? !useSettings.getState().plainPrompt,
    ...(input.prefill ? { prefill: input.prefill } : {}),
    ...(input.keepEmptySystem ? { keepEmptySystem: true } : {}),
  };
  const lora = prepared.adapters.map((id) => ({
    id,
    scale: id === input.adapter ? input.scale : 0,
  }));
  return llmClient().call(
    'complete',
    {
      chat,
      lora,
      maxTokens: input.maxTokens ?? 64,
      ...(input.sampling ? { sampling: input.sampling } : {}),
      ...(input.logprobs ? { logprobs: input.logprobs } : {}),
      ...(input.decidedBy ? { decidedBy: input.decidedBy } : {}),
    },
    {
      ...(options.signal ? { signal: options.signal } : {}),
      onProgress: (p) => {
        if (p.type === 'token') options.onToken?.(p.text);
      },
    },
  );
}
