/**
 * The messages between the page and the LLM worker (llm.worker.ts), which runs llama.cpp through
 * wllama: a base GGUF with every known GGUF LoRA adapter mounted, and completions that pick an
 * adapter and its scale per request. Same envelope as the T2L worker's protocol (protocol.ts):
 * the page sends `{type: 'call', id, method, params}` or `{type: 'cancel', id}`; the worker answers
 * any number of `{type: 'progress', id, progress}` and then exactly one result or error.
 * Everything here survives structured clone.
 *
 * Lifecycle: `prepare` loads (or keeps) a base model with a set of adapters; `complete` runs one
 * prompt and streams tokens as progress; cancelling a `complete` stops it (Stop button) and it
 * resolves with what was generated so far (`stopped: true`); `stats` and `unload` answer at once.
 */
import type { MatchRule } from '../../core/eval/matching';
import type { Progress } from './protocol';
import type { RpcInbound, RpcOutbound } from './rpc-protocol';

/** Where a base GGUF comes from. */
export type BaseSource =
  | {
      kind: 'url';
      /** Absolute URL of the .gguf file (the Hub's resolve URL, a self-hosted file, the demo's). */
      url: string;
      /** Short name for the UI, e.g. "gemma-2-2b-it-Q4_K_M.gguf". */
      name: string;
      /** Cache group in the app's file cache (Cache dialog), e.g. "Base model · Gemma-2-2B-it". */
      cacheGroup: string;
      /** Sent only to the Hub endpoint below (gated repositories). */
      hfToken?: string;
      /** The Hub endpoint in force when the token was given (shared/hub-endpoint.ts). */
      hubEndpoint?: string;
    }
  | { kind: 'file'; name: string; blob: Blob };

/** One generated adapter: the GGUF LoRA bytes `adapterGguf` wrote, under a stable id. */
export interface LlmAdapter {
  /** Stable per adapter (e.g. `run-3/0`): the same id is never reused for other bytes. */
  id: string;
  /** Shown in errors, e.g. the description. */
  label: string;
  gguf: Uint8Array;
}

export interface PrepareRequest {
  base: BaseSource;
  /**
   * Adapters the next completions may use. Ids already mounted are not sent again by the page
   * (their bytes may be empty then); a new id makes the worker reload the base with all of them.
   */
  adapters: LlmAdapter[];
  /** Context length in tokens (default 1024). */
  nCtx?: number;
  /** 0: CPU only (wasm). Otherwise llama.cpp offloads up to this many layers to WebGPU. */
  gpuLayers: number;
  /** wasm threads (1 without cross-origin isolation). */
  threads: number;
}

/** Facts read from the loaded base model's GGUF metadata. */
export interface LlmModelInfo {
  /** general.architecture, e.g. "llama", "gemma2". */
  arch: string;
  /** general.name, or the file name. */
  name: string;
  layers: number;
  embedding: number;
  vocab: number;
  contextTrain: number;
  /** tokenizer.chat_template (Jinja), or null when the GGUF has none. */
  chatTemplate: string | null;
  /** The BOS/EOS token texts, for rendering the chat template. */
  bosToken: string;
  eosToken: string;
  /** Whether llama.cpp adds BOS itself when tokenizing a prompt. */
  addBos: boolean;
  /** Size of the base GGUF in bytes. */
  bytes: number;
}

export interface LlmBackendReport {
  kind: 'webgpu' | 'wasm';
  /** One line, e.g. "wasm · 4 threads" or "WebGPU · 26/26 layers". */
  label: string;
  threads: number;
  /** Layers llama.cpp reported offloaded to the GPU (0 on wasm). */
  gpuLayers: number;
}

export interface PrepareResult {
  model: LlmModelInfo;
  backend: LlmBackendReport;
  /** Ids of every adapter mounted with the base, in load order. */
  adapters: string[];
  /** Whether this call loaded the base (false: it was already loaded with these adapters). */
  loaded: boolean;
  /** How many times this worker has loaded a base model in its life (Compare asserts 1). */
  baseLoads: number;
  /** Time to download/read and load, ms (0 when nothing was loaded). */
  loadMs: number;
}

export interface SamplingSettings {
  /** 0: greedy (argmax at every step), the default, so outputs are comparable. */
  temperature: number;
  topK: number;
  topP: number;
  seed: number;
}

/**
 * A chat turn to render in the worker with the loaded base's chat template (renderChatPrompt):
 * the template is code from the GGUF's author, so it runs here, off the page's thread, within
 * the core's budget (core/llm/template-budget).
 */
export interface ChatTurn {
  /** System prompt ('' for none). */
  system: string;
  /** The user's message. */
  user: string;
  /** false: the page's "plain prompt" switch (system + blank line + message, no template). */
  useTemplate: boolean;
  /**
   * Text the assistant's answer starts with, appended after the rendered prompt (the reference's
   * `assistant_prefill`, for accuracy runs); absent: none.
   */
  prefill?: string;
  /**
   * Send an empty system prompt to the template as a system message (accuracy runs: the
   * reference's evaluation does, core/eval/protocol.ts renderItemPrompt); default: left out.
   */
  keepEmptySystem?: boolean;
}

export interface CompleteRequest {
  /** The prompt as text, chat template already applied (tests and benches); or `chat`. */
  prompt?: string;
  /** The turn to render with the base's chat template in the worker (the page's Try and Outputs). */
  chat?: ChatTurn;
  /**
   * The scale of EVERY mounted adapter for this request (0 for those not used). Sent in full on
   * every request: llama.cpp keeps per-adapter scales otherwise, and a cached prompt computed at
   * another scale would mix into the output.
   */
  lora: { id: string; scale: number }[];
  maxTokens: number;
  /** Absent: greedy. */
  sampling?: SamplingSettings;
  /** Also return the top-n log-probabilities of the first generated tokens (0: none). */
  logprobs?: number;
  /**
   * Accuracy runs: the example's answer-matching rule. Generation stops once more text cannot
   * change the verdict (core/eval/matching.ts outputDecided, the rule `t2l eval` stops by), with
   * finish 'decided' and the text up to that token; absent: no early stop.
   */
  decidedBy?: MatchRule;
}

/** One generated token's top candidates (natural log). */
export interface TokenLogprobs {
  token: string;
  logprob: number;
  top: { token: string; logprob: number }[];
}

export interface CompleteResult {
  text: string;
  /** Generated tokens. */
  tokens: number;
  promptTokens: number;
  /** Time to first token, ms (prompt evaluation + the first step). */
  ttftMs: number;
  /** Generation speed after the first token, tokens per second. */
  tokensPerSecond: number;
  totalMs: number;
  /**
   * 'stop' (end of generation), 'length' (maxTokens), 'stopped' (the user pressed Stop) or
   * 'decided' (`decidedBy` said the answer was settled).
   */
  finish: 'stop' | 'length' | 'stopped' | 'decided';
  /** With `logprobs`: per generated token (the first few). */
  logprobs?: TokenLogprobs[];
}

export interface LlmStats {
  loaded: boolean;
  baseName: string | null;
  baseBytes: number;
  baseLoads: number;
  adapters: string[];
  backend: LlmBackendReport | null;
  /** The LLM worker's JS heap, where the browser says (performance.memory), bytes. */
  jsHeapBytes: number | null;
}

/** Progress of an LLM call: base download (same events as the T2L worker's), stage, tokens. */
export type LlmProgress =
  | Extract<Progress, { type: 'file' }>
  | { type: 'llm-stage'; detail: string }
  | { type: 'token'; text: string }
  | TemplateProgress;

/**
 * Around the render of the base's chat template (a stranger's code, run synchronously in the LLM
 * worker): `start` before it, `end` after it. The page's client terminates the worker when `end`
 * does not come within `limitMs` (a render the core's budget failed to stop would hold the worker
 * forever) and fails the call with `timeoutMessage`.
 */
export type TemplateProgress =
  | { type: 'template'; state: 'start'; limitMs: number; timeoutMessage: string }
  | { type: 'template'; state: 'end' };

export interface LlmMethods {
  prepare: { params: PrepareRequest; result: PrepareResult };
  complete: { params: CompleteRequest; result: CompleteResult };
  stats: { params: null; result: LlmStats };
  /** Frees the base model and every adapter. */
  unload: { params: null; result: null };
}

export type LlmInbound = RpcInbound<LlmMethods>;
export type LlmOutbound = RpcOutbound<LlmProgress>;
