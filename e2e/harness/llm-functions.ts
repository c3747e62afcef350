import { Wllama, type RawCompletionChunk } from '@wllama/wllama/esm/index.js';
import wllamaWasm from '@wllama/wllama/esm/wasm/wllama.wasm?url';

/**
 * The LLM part of `npm run bench` in Chromium (scripts/bench/llm.ts): wllama on the demo base
 * GGUF, timed from the page. State lives here between calls so the renderer's memory can be read
 * between the steps.
 */
let wllama: Wllama | undefined;

interface RunFigures {
  ttftMs: number;
  tokens: number;
  tokensPerSecond: number;
  text: string;
  /** llama.cpp's own timings of the request (prompt evaluation, decode rate). */
  engine: { promptMs: number; predictedPerSecond: number } | null;
}

async function fetchBytes(url: string): Promise<Blob> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.blob();
}

/** Loads the base GGUF into wllama's worker (wasm, `threads` threads, no GPU layers asked). */
async function llmLoad(baseUrl: string, adapterUrl: string | null, threads: number) {
  void adapterUrl; // prototype: the adapter comes with the app's LLM worker
  const blob = await fetchBytes(baseUrl);
  const logs: string[] = [];
  const keep = (...a: unknown[]) => void logs.push(a.map(String).join(' '));
  wllama = new Wllama(
    { default: wllamaWasm },
    { logger: { debug: () => {}, log: keep, warn: keep, error: keep } },
  );
  const t0 = performance.now();
  await wllama.loadModel([blob], { n_ctx: 256, n_threads: threads });
  return {
    loadMs: performance.now() - t0,
    modelBytes: blob.size,
    threads: wllama.getNumThreads(),
    multithread: wllama.isMultithread(),
    webgpuAvailable: wllama.isSupportWebGPU(),
    // llama.cpp logs the buffers it allocates and where (CPU, WebGPU): the backend that ran.
    engine: `wllama ${Wllama.getLibllamaVersion()}`,
    backend: 'wasm',
    wasmHeapBytes: null as number | null,
    logs,
  };
}

/** One greedy completion of exactly `tokens` tokens, streamed, timed from the page. */
async function llmRun(prompt: string, tokens: number, scale: number): Promise<RunFigures> {
  void scale;
  const w = wllama!;
  let text = '';
  let first = 0;
  let count = 0;
  let engine: RunFigures['engine'] = null;
  const t0 = performance.now();
  await w.createCompletion({
    prompt,
    max_tokens: tokens,
    temperature: 0,
    ignore_eos: true,
    // A fresh prompt evaluation each run: time to first token includes it.
    cache_prompt: false,
    stream: true,
    onData: (chunk: RawCompletionChunk) => {
      const piece = chunk.choices[0]?.text ?? '';
      if (piece && count === 0) first = performance.now();
      if (piece) count++;
      text += piece;
      if (chunk.timings) {
        engine = {
          promptMs: chunk.timings.prompt_ms,
          predictedPerSecond: chunk.timings.predicted_per_second,
        };
      }
    },
  } as Parameters<Wllama['createCompletion']>[0] & { cache_prompt: boolean });
  const end = performance.now();
  return {
    ttftMs: first - t0,
    tokens: count,
    tokensPerSecond: count > 1 ? (count - 1) / ((end - first) / 1000) : NaN,
    text,
    engine,
  };
}

/** performance.measureUserAgentSpecificMemory, per attribution (the page, each worker). */
async function llmMemory() {
  const perf = performance as Performance & {
    measureUserAgentSpecificMemory?: () => Promise<{
      bytes: number;
      breakdown: { bytes: number; attribution: { url: string; scope: string }[] }[];
    }>;
  };
  if (!perf.measureUserAgentSpecificMemory || !globalThis.crossOriginIsolated) return null;
  const m = await perf.measureUserAgentSpecificMemory();
  const byScope: Record<string, number> = {};
  for (const b of m.breakdown) {
    const scope = b.attribution[0]?.scope ?? 'shared';
    byScope[scope] = (byScope[scope] ?? 0) + b.bytes;
  }
  return { bytes: m.bytes, byScope, llmWorkerBytes: null as number | null };
}

async function llmRelease() {
  await wllama?.exit();
  wllama = undefined;
}

export const llmFunctions = { llmLoad, llmRun, llmMemory, llmRelease };
