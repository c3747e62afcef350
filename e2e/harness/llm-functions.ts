import { renderPrompt } from '../../src/app/worker/chat-prompt';
import { createLlmClient, llmClient, spawnLlmWorker } from '../../src/app/shared/llm-client';
import type { PrepareResult } from '../../src/app/worker/llm-protocol';

/**
 * The LLM part of `npm run bench` in Chromium (scripts/bench/llm.ts), through the app's own LLM
 * worker (src/app/worker/llm.worker.ts: wllama, the base fetched through the app's downloader),
 * so the figures are those of what users run. State lives in the worker between calls.
 */
let prepared: PrepareResult | undefined;

/** The id `llmLoad` mounts its adapter under. */
export const BENCH_ADAPTER = 'bench-adapter';

/** A base GGUF by URL (relative to the page), as the LLM worker's `prepare` takes it. */
function baseAt(url: string, cacheGroup: string) {
  return {
    kind: 'url' as const,
    url: new URL(url, location.href).href,
    name: url.split('/').pop()!,
    cacheGroup,
  };
}

async function bytesOf(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/**
 * Loads the base GGUF with the adapter mounted, asking for `gpuLayers` WebGPU layers (0: wasm
 * only), and reports the backend that actually ran.
 */
async function llmLoad(baseUrl: string, adapterUrl: string, threads: number, gpuLayers: number) {
  const gguf = await bytesOf(adapterUrl);
  const t0 = performance.now();
  prepared = await llmClient().call('prepare', {
    base: baseAt(baseUrl, 'Base model · bench'),
    adapters: [{ id: BENCH_ADAPTER, label: 'bench adapter', gguf }],
    gpuLayers,
    threads,
  });
  return {
    loadMs: performance.now() - t0,
    workerLoadMs: prepared.loadMs,
    modelBytes: prepared.model.bytes,
    threads: prepared.backend.threads,
    backend: prepared.backend.label,
    gpuLayers: prepared.backend.gpuLayers,
    engine: 'wllama 3.8.1 (app LLM worker)',
    webgpuAdapter: Boolean(await navigator.gpu?.requestAdapter().catch(() => null)),
  };
}

/** One greedy completion of at most `tokens` tokens with the adapter at `scale`. */
async function llmRun(prompt: string, tokens: number, scale: number) {
  const r = await llmClient().call('complete', {
    prompt,
    lora: (prepared?.adapters ?? []).map((id) => ({ id, scale })),
    maxTokens: tokens,
  });
  return {
    ttftMs: r.ttftMs,
    tokens: r.tokens,
    tokensPerSecond: r.tokensPerSecond,
    text: r.text,
  };
}

/**
 * performance.measureUserAgentSpecificMemory (cross-origin isolated pages): everything, and what
 * the LLM workers hold (the app's LLM worker and wllama's own, a blob: worker whose wasm heap
 * holds the model), with the LLM worker's own JS heap figure where the browser gives one.
 */
async function llmMemory() {
  const perf = performance as Performance & {
    measureUserAgentSpecificMemory?: () => Promise<{
      bytes: number;
      breakdown: { bytes: number; attribution: { url: string; scope: string }[] }[];
    }>;
  };
  if (!perf.measureUserAgentSpecificMemory || !globalThis.crossOriginIsolated) return null;
  const m = await perf.measureUserAgentSpecificMemory();
  let llmWorkerBytes = 0;
  for (const b of m.breakdown) {
    if (b.attribution.some((a) => a.url.includes('llm.worker') || a.url.startsWith('blob:'))) {
      llmWorkerBytes += b.bytes;
    }
  }
  const stats = prepared ? await llmClient().call('stats', null) : null;
  return { bytes: m.bytes, llmWorkerBytes, llmJsHeapBytes: stats?.jsHeapBytes ?? null };
}

async function llmRelease() {
  await llmClient().call('unload', null);
  prepared = undefined;
}

/**
 * The base model alone: a second LLM worker of its own (not the shared one), the base GGUF at
 * `baseUrl` with no adapter mounted, one greedy completion of `prompt` (user turn, no system
 * prompt, rendered with the GGUF's chat template as the Try panel does). The e2e Try spec compares
 * it with the panel's output at scale 0.
 */
async function llmBaseAlone(baseUrl: string, prompt: string, maxTokens: number, threads = 1) {
  const client = createLlmClient(spawnLlmWorker);
  try {
    const prepared = await client.call('prepare', {
      base: baseAt(baseUrl, 'Base model · test'),
      adapters: [],
      gpuLayers: 0,
      threads,
    });
    const out = await client.call('complete', {
      prompt: renderPrompt(prepared.model, '', prompt),
      lora: [],
      maxTokens,
    });
    return out.text;
  } finally {
    client.terminate();
  }
}

export const llmFunctions = { llmLoad, llmRun, llmMemory, llmRelease, llmBaseAlone };
