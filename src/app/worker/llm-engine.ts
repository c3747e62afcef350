/**
 * llama.cpp in the LLM worker, through wllama: one base model with every known adapter mounted,
 * completions that choose an adapter and scale per request, and llama.cpp's log captured so its
 * errors reach the page as T2LErrors (wllama reports native failures as a bare RangeError or
 * "(ABORT)" while the real message goes to the logger, and loadModel can resolve after a failed
 * context).
 *
 * Adapters and reloads: wllama 3.8.1 mounts LoRA files only when it loads the model (there is no
 * call that adds one to a loaded model: llama-server's per-request `lora` changes scales, not the
 * set). So the base is loaded with every adapter known at that time, and reloaded (with all of
 * them) only when a request brings an adapter it has not mounted. Switching adapters or scales
 * never reloads.
 */
import { Wllama, type WllamaLogger } from '@wllama/wllama/esm/index.js';
import { T2LError } from '../../core/errors';
import { outputDecided } from '../../core/eval/matching';
import { DEFAULT_TEMPLATE_BUDGET } from '../../core/llm/template-budget';
import type {
  CompleteRequest,
  CompleteResult,
  LlmBackendReport,
  LlmModelInfo,
  LlmStats,
  TemplateProgress,
  TokenLogprobs,
} from './llm-protocol';
import { PLAIN_PROMPT_REMEDY, renderPrompt } from './chat-prompt';

/**
 * How long the page waits for a chat template's render before it terminates this worker: the
 * core budget's time limit, which the render checks at every step, and a margin for one builtin
 * call between two checks (ms).
 */
export const TEMPLATE_WATCHDOG_MS = DEFAULT_TEMPLATE_BUDGET.maxMs + 3000;
import { completeWithLora, loadWithLoras, type MemoryLora } from './wllama-lora';

/** Lines of llama.cpp's log kept for error messages. */
const LOG_LINES = 200;

export interface LoadedBase {
  /** Identifies the base's bytes (URL, or file name + size + date). */
  key: string;
  name: string;
  blob: Blob;
}

export interface EngineAdapter {
  id: string;
  label: string;
  bytes: Uint8Array;
}

export interface EngineLoadOptions {
  nCtx: number;
  gpuLayers: number;
  threads: number;
}

interface Session {
  wllama: Wllama;
  base: LoadedBase;
  adapters: EngineAdapter[];
  options: EngineLoadOptions;
  model: LlmModelInfo;
  backend: LlmBackendReport;
}

function wasmUrl(): string {
  return new URL(`${import.meta.env.BASE_URL}wllama/wllama.wasm`, self.location.href).href;
}

/** wllama 3.8.1's default build needs JSPI and 64-bit memory; without them it would use a CDN. */
export function runtimeProblem(): string | null {
  const wasm = WebAssembly as unknown as { Suspending?: unknown };
  if (!wasm.Suspending) {
    return 'this browser lacks WebAssembly JSPI, which the in-browser llama.cpp (wllama 3.8.1) needs: use Chrome or Edge 137 or newer';
  }
  try {
    new WebAssembly.Memory({
      address: 'i64',
      initial: 1n,
    } as unknown as WebAssembly.MemoryDescriptor);
  } catch {
    return 'this browser lacks WebAssembly Memory64, which the in-browser llama.cpp (wllama 3.8.1) needs: use Chrome or Edge 133 or newer';
  }
  return null;
}

export class LlmEngine {
  private session: Session | null = null;
  private log: string[] = [];
  private loads = 0;

  /** Every load of a base model in this worker's life. */
  get baseLoads(): number {
    return this.loads;
  }

  get current(): Session | null {
    return this.session;
  }

  private logger(): WllamaLogger {
    const keep =
      (level: string) =>
      (...args: unknown[]) => {
        const line = args.map((a) => (typeof a === 'string' ? a : safeJson(a))).join(' ');
        this.log.push(`${level}: ${line}`);
        if (this.log.length > LOG_LINES) this.log.splice(0, this.log.length - LOG_LINES);
      };
    return { debug: () => undefined, log: keep('info'), warn: keep('warn'), error: keep('error') };
  }

  /** Whether `base` with `adapters` (by id) is what is loaded now. */
  holds(baseKey: string, adapterIds: string[], options: EngineLoadOptions): boolean {
    const s = this.session;
    if (!s || s.base.key !== baseKey) return false;
    if (s.options.gpuLayers !== options.gpuLayers || s.options.nCtx !== options.nCtx) return false;
    const mounted = new Set(s.adapters.map((a) => a.id));
    return adapterIds.every((id) => mounted.has(id));
  }

  /** The adapters the session has mounted (kept so a reload can mount them again). */
  mountedAdapters(): EngineAdapter[] {
    return this.session?.adapters ?? [];
  }

  /**
   * Loads `base` with `adapters` mounted (scale 0 until a request sets one). Replaces any loaded
   * session. Errors are T2LErrors carrying llama.cpp's own message.
   */
  async load(
    base: LoadedBase,
    adapters: EngineAdapter[],
    options: EngineLoadOptions,
  ): Promise<Session> {
    await this.unload();
    this.log = [];
    const wllama = new Wllama({ default: wasmUrl() }, { logger: this.logger() });
    // No compatibility build from a CDN: the app works offline or says why it cannot run.
    wllama.setCompat(null);
    const loras: MemoryLora[] = adapters.map((a, i) => ({
      name: `lora-${i}.gguf`,
      blob: new Blob([a.bytes as Uint8Array<ArrayBuffer>]),
    }));
    this.loads++;
    try {
      await loadWithLoras(wllama, [base.blob], loras, {
        n_ctx: options.nCtx,
        n_threads: options.threads,
        n_gpu_layers: options.gpuLayers,
        // One request at a time: the whole KV cache for it.
        n_parallel: 1,
        warmup: false,
        // As `t2l try` runs llama.cpp: CPU flash attention computes in f16 and moves log-probs.
        flash_attn: false,
        // llama.cpp's server code (which wllama runs) renders the GGUF's chat template at load to
        // check it, with its own unbounded Jinja engine: a hostile template hung the load. The page
        // renders prompts itself (worker/chat-prompt, bounded), so llama.cpp gets a built-in
        // template by name and no Jinja (the GGUF's text is still read for getChatTemplate()).
        chat_template: 'chatml',
        jinja: false,
      });
      if (!wllama.isModelLoaded()) throw new Error('the model did not load');
    } catch (e) {
      await wllama.exit().catch(() => undefined);
      throw this.nativeError(`${base.name}: llama.cpp could not load it`, e, adapters);
    }
    const model = modelInfo(wllama, base);
    const backend = this.backendReport(wllama);
    this.session = { wllama, base, adapters, options, model, backend };
    return this.session;
  }

  async unload(): Promise<void> {
    const s = this.session;
    this.session = null;
    await s?.wllama.exit().catch(() => undefined);
  }

  /**
   * One completion; tokens go to `onToken` as they come. `signal` stops it (what came is kept).
   * `onTemplate` hears `start` and `end` around the chat template's render (see TemplateProgress).
   */
  async complete(
    request: CompleteRequest,
    onToken: (text: string) => void,
    signal: AbortSignal,
    onTemplate: (p: TemplateProgress) => void = () => undefined,
  ): Promise<CompleteResult> {
    const s = this.session;
    if (!s)
      throw new T2LError('bad-input', 'No base model is loaded: load one before running a prompt.');
    const index = new Map(s.adapters.map((a, i) => [a.id, i]));
    const scales = new Map<string, number>();
    for (const { id, scale } of request.lora) {
      if (!index.has(id)) {
        throw new T2LError('bad-input', `adapter ${id} is not mounted with ${s.base.name}`);
      }
      if (!Number.isFinite(scale)) throw new T2LError('bad-input', `adapter ${id}: scale ${scale}`);
      scales.set(id, scale);
    }
    // Every mounted adapter gets an explicit scale, 0 unless the request names it.
    const lora = s.adapters.map((a, i) => ({ id: i, scale: scales.get(a.id) ?? 0 }));
    let prompt = request.prompt;
    if (request.chat !== undefined) {
      onTemplate({
        type: 'template',
        state: 'start',
        limitMs: TEMPLATE_WATCHDOG_MS,
        timeoutMessage: `${s.base.name}: the chat template (tokenizer.chat_template) ran past its budget (more than ${TEMPLATE_WATCHDOG_MS} ms; the LLM worker was stopped); ${PLAIN_PROMPT_REMEDY}`,
      });
      try {
        prompt =
          renderPrompt(s.model, request.chat.system, request.chat.user, {
            useTemplate: request.chat.useTemplate,
            source: s.base.name,
            ...(request.chat.keepEmptySystem ? { keepEmptySystem: true } : {}),
          }) + (request.chat.prefill ?? '');
      } finally {
        onTemplate({ type: 'template', state: 'end' });
      }
    }
    if (prompt === undefined) throw new T2LError('bad-input', 'a completion needs a prompt');
    const sampling = request.sampling;
    const decidedBy = request.decidedBy;
    const start = performance.now();
    let first = 0;
    let text = '';
    let tokens = 0;
    // Widened: the stream's callback sets it, which narrowing after the await cannot see.
    let finish = 'length' as CompleteResult['finish'];
    let promptTokens = 0;
    let predictedMs = 0;
    const logprobs: TokenLogprobs[] = [];
    const abort = new AbortController();
    const onAbort = () => abort.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    this.log = [];
    try {
      await completeWithLora(
        s.wllama,
        {
          prompt,
          max_tokens: request.maxTokens,
          lora,
          cache_prompt: false,
          abortSignal: abort.signal,
          ...(sampling
            ? {
                temperature: sampling.temperature,
                top_k: sampling.topK,
                top_p: sampling.topP,
                seed: sampling.seed,
              }
            : { temperature: 0, top_k: 1, seed: 0 }),
          ...(request.logprobs ? { n_probs: request.logprobs, logprobs: request.logprobs } : {}),
        },
        (chunk) => {
          // Settled: whatever llama.cpp had already sent past that token is not part of the answer.
          if (finish === 'decided') return;
          const choice = chunk.choices[0];
          const piece = choice?.text ?? '';
          if (piece || choice?.finish_reason === null) {
            if (!first) first = performance.now();
          }
          if (piece) {
            text += piece;
            tokens++;
            onToken(piece);
            // After every token, as `t2l eval` does (src/node/llama.ts stopWhen): the same core rule
            // on the same text, so the page's answers and verdicts are the CLI's.
            if (decidedBy && outputDecided(decidedBy, text)) {
              finish = 'decided';
              abort.abort();
              return;
            }
          }
          if (choice?.finish_reason) finish = choice.finish_reason === 'stop' ? 'stop' : 'length';
          collectLogprobs(chunk, logprobs);
          if (chunk.timings) {
            promptTokens = chunk.timings.prompt_n;
            predictedMs = chunk.timings.predicted_ms;
            tokens = Math.max(tokens, chunk.timings.predicted_n);
          }
        },
      );
    } catch (e) {
      // Our own abort once the answer was settled ends the generation; it is not a failure.
      if (finish !== 'decided') {
        if (!signal.aborted) throw this.nativeError(`${s.base.name}: generation failed`, e, []);
        finish = 'stopped';
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    const end = performance.now();
    const ttftMs = first ? first - start : end - start;
    const genMs = predictedMs > 0 ? predictedMs : first ? end - first : 0;
    return {
      text,
      tokens,
      promptTokens,
      ttftMs,
      tokensPerSecond: tokens > 1 && genMs > 0 ? ((tokens - 1) * 1000) / genMs : 0,
      totalMs: end - start,
      finish,
      ...(request.logprobs ? { logprobs } : {}),
    };
  }

  stats(): LlmStats {
    const s = this.session;
    const perf = performance as Performance & { memory?: { usedJSHeapSize: number } };
    return {
      loaded: s !== null,
      baseName: s?.base.name ?? null,
      baseBytes: s?.base.blob.size ?? 0,
      baseLoads: this.loads,
      adapters: s?.adapters.map((a) => a.id) ?? [],
      backend: s?.backend ?? null,
      jsHeapBytes: perf.memory?.usedJSHeapSize ?? null,
    };
  }

  /** What ran, from llama.cpp's own log (WebGPU offload is reported there, not by wllama). */
  private backendReport(wllama: Wllama): LlmBackendReport {
    const threads = wllama.getNumThreads();
    let gpuLayers = 0;
    for (const line of this.log) {
      const m = /offloaded (\d+)\/(\d+) layers to GPU/.exec(line);
      if (m) gpuLayers = Number(m[1]);
    }
    return gpuLayers > 0
      ? { kind: 'webgpu', label: `WebGPU · ${gpuLayers} layers`, threads, gpuLayers }
      : {
          kind: 'wasm',
          label: `wasm · ${threads} thread${threads === 1 ? '' : 's'}`,
          threads,
          gpuLayers,
        };
  }

  /** A T2LError with llama.cpp's own words from the log (wllama's exception alone says little). */
  private nativeError(what: string, e: unknown, adapters: EngineAdapter[]): T2LError {
    if (e instanceof T2LError) return e;
    const thrown = e instanceof Error ? e.message : String(e);
    const native = this.log
      .filter((l) => /^error:|failed|error loading|invalid|unknown|mismatch|not found/i.test(l))
      .map((l) => l.replace(/^(error|warn|info): /, '').trim())
      .filter((l, i, all) => l && all.indexOf(l) === i)
      .slice(-4);
    const loraNote =
      adapters.length > 0 && native.some((l) => /lora|adapter/i.test(l))
        ? ` (adapters: ${adapters.map((a) => a.label).join(', ')})`
        : '';
    const detail = native.length > 0 ? native.join('; ') : thrown;
    return new T2LError('runtime', `${what}: ${detail}${loraNote}`, { cause: e });
  }
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

function modelInfo(wllama: Wllama, base: LoadedBase): LlmModelInfo {
  const { hparams, meta } = wllama.getModelMetadata();
  const arch = meta['general.architecture'] ?? 'unknown';
  return {
    arch,
    name: meta['general.name'] || base.name,
    layers: hparams.nLayer,
    embedding: hparams.nEmbd,
    vocab: hparams.nVocab,
    contextTrain: hparams.nCtxTrain,
    chatTemplate: wllama.getChatTemplate(),
    // wllama's metadata has no token texts: llm-prepare fills these from the GGUF header.
    bosToken: '',
    eosToken: '',
    addBos: wllama.mustAddBosToken(),
    bytes: base.blob.size,
  };
}

/** llama-server puts per-token candidates in `completion_probabilities` or OpenAI's `logprobs`. */
function collectLogprobs(chunk: unknown, out: TokenLogprobs[]): void {
  const c = chunk as {
    choices?: { logprobs?: { content?: RawProb[] } | null }[];
    completion_probabilities?: RawProb[];
  };
  const probs = c.choices?.[0]?.logprobs?.content ?? c.completion_probabilities ?? [];
  for (const p of probs) {
    out.push({
      token: p.token ?? '',
      logprob: p.logprob ?? Math.log(p.prob ?? 0),
      top: (p.top_logprobs ?? p.top_probs ?? []).map((t) => ({
        token: t.token ?? '',
        logprob: t.logprob ?? Math.log(t.prob ?? 0),
      })),
    });
  }
}

interface RawProb {
  token?: string;
  logprob?: number;
  prob?: number;
  top_logprobs?: { token?: string; logprob?: number; prob?: number }[];
  top_probs?: { token?: string; logprob?: number; prob?: number }[];
}
