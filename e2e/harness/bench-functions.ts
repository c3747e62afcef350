import { CHECKPOINT_FILES, loadCheckpoint } from '../../src/core/checkpoint/load';
import { memorySource, urlSource } from '../../src/core/files';
import { generateAdapters } from '../../src/core/generate';
import { fidelityEmbeddings } from '../../src/core/package/fidelity';
import type { PackageManifest, Precision } from '../../src/core/package/manifest';
import { convertCheckpoint, type ConvertOptions } from '../../src/core/package/model';
import type { Backend, InferenceRunner } from '../../src/core/runtime/types';
import { GraphBuilder } from '../../src/core/onnx/builder';
import { createWebRunner } from '../../src/runtime/web';
import { timeInterleaved } from '../../scripts/bench/interleave';

/**
 * `npm run bench` in Chromium: one case is driven step by step from scripts/bench/browser.ts, so
 * that the renderer's memory can be read between the steps. State lives here between calls.
 */
let manifest: PackageManifest | undefined;
let graph: Uint8Array | undefined;
let runner: InferenceRunner | undefined;

interface MemorySample {
  /** performance.measureUserAgentSpecificMemory(): all the page's JS and ArrayBuffer memory. */
  uaBytes: number | null;
  /** The V8 heap (performance.memory), where available. */
  jsHeapBytes: number | null;
}

async function sampleMemory(): Promise<MemorySample> {
  const perf = performance as Performance & {
    measureUserAgentSpecificMemory?: () => Promise<{ bytes: number }>;
    memory?: { usedJSHeapSize: number };
  };
  let uaBytes: number | null = null;
  if (perf.measureUserAgentSpecificMemory && globalThis.crossOriginIsolated) {
    try {
      uaBytes = (await perf.measureUserAgentSpecificMemory()).bytes;
    } catch {
      uaBytes = null;
    }
  }
  return { uaBytes, jsHeapBytes: perf.memory?.usedJSHeapSize ?? null };
}

let files: Record<string, Uint8Array> | undefined;

/** Fetches the checkpoint's three files (from the local dev server: a stand-in for picked files). */
async function benchFetch(base: string) {
  const t0 = performance.now();
  const http = urlSource(base);
  files = {};
  for (const name of CHECKPOINT_FILES) files[name] = await http.read(name);
  return { fetchMs: performance.now() - t0 };
}

/** A full garbage collection, where Chromium runs with --js-flags=--expose-gc. */
function benchGc(): boolean {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  return gc !== undefined;
}

/**
 * Reads the fetched checkpoint and converts it; memory sampled with both file and package alive.
 * (Only here: once onnxruntime's wasm worker threads exist, measureUserAgentSpecificMemory takes a
 * minute or more; later figures come from the renderer's resident memory instead.)
 */
async function benchConvert(precision: Precision, options: ConvertOptions = {}) {
  const t0 = performance.now();
  const checkpoint = await loadCheckpoint(memorySource('bench', files!));
  const t1 = performance.now();
  const model = convertCheckpoint(checkpoint, { ...options, precision });
  const t2 = performance.now();
  const memory = await sampleMemory();
  manifest = model.manifest;
  graph = model.graph;
  files = undefined;
  return {
    readMs: t1 - t0,
    convertMs: t2 - t1,
    packageBytes: model.graph.byteLength,
    manifest: model.manifest,
    memory,
  };
}

/** Creates the session from the converted package, then lets the package bytes go. */
async function benchSession(backend: Backend) {
  const t0 = performance.now();
  runner = await createWebRunner(graph!, { backends: [backend] });
  const sessionMs = performance.now() - t0;
  graph = undefined;
  return { sessionMs, backend: runner.backend };
}

/**
 * Warm generation of one adapter (`runs` times after one untimed run) and of 8 in a batch
 * (`batchRuns` times after one untimed batch), interleaved (scripts/bench/interleave.ts).
 */
async function benchGenerate(runs: number, batchRuns: number) {
  const m = manifest!;
  const E = m.taskEmbSize;
  const emb = fidelityEmbeddings(E, 8);
  const one = { dims: [1, E], data: emb.subarray(0, E) };
  const eight = { dims: [8, E], data: emb };
  const t = performance.now();
  await generateAdapters(m, runner!, one);
  const firstRunMs = performance.now() - t;
  if (batchRuns > 0) await generateAdapters(m, runner!, eight);
  const { single, batch } = await timeInterleaved({
    runs,
    batchRuns,
    single: () => generateAdapters(m, runner!, one),
    batch: () => generateAdapters(m, runner!, eight),
  });
  return { firstRunMs, single, batch };
}

async function benchRelease() {
  await runner?.release();
  runner = undefined;
  manifest = undefined;
  graph = undefined;
}

/** onnxruntime-web's own ceiling here: the best GFLOP/s of a float32 MatMul [m,k]·[k,n]. */
async function benchMatmulCeiling(m: number, k: number, n: number, runs: number) {
  const g = new GraphBuilder('ceiling');
  const x = g.input('x', [m, k]);
  const w = new Float32Array(k * n).map((_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
  g.output('y', g.op('MatMul', [x, g.weight('w', [k, n], w)]), [m, n]);
  const r = await createWebRunner(g.toModel({ producer: 'bench' }), { backends: ['wasm'] });
  try {
    const feeds = { x: { dims: [m, k], data: new Float32Array(m * k).fill(0.5) } };
    await r.run(feeds);
    let best = Infinity;
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      await r.run(feeds);
      best = Math.min(best, performance.now() - t);
    }
    return (2 * m * k * n) / (best / 1000) / 1e9;
  } finally {
    await r.release();
  }
}

export const benchFunctions = {
  benchFetch,
  benchGc,
  benchConvert,
  benchSession,
  benchGenerate,
  benchRelease,
  benchMatmulCeiling,
};
