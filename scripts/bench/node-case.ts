/**
 * One benchmark case in onnxruntime-node, in its own process so that its peak memory is its own:
 * `tsx scripts/bench/node-case.ts <shape> <precision> [blockSize]` prints one JSON line.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadCheckpoint } from '../../src/core/checkpoint/load';
import { generateAdapters, type GeneratedAdapter } from '../../src/core/generate';
import { compareAdapters, fidelityEmbeddings } from '../../src/core/package/fidelity';
import type { PackageManifest, Precision } from '../../src/core/package/manifest';
import { convertCheckpoint } from '../../src/core/package/model';
import { dirSource } from '../../src/node/fs-source';
import { createNodeRunner } from '../../src/runtime/node';
import { BENCH_DIR, checkpointDir } from './checkpoints';
import { shapeById } from './shapes';
import { timeInterleaved } from './interleave';
import { stats, type CaseResult } from './types';
import { flopsPerEmbedding } from './work';

const [shapeId, precisionArg, blockArg] = process.argv.slice(2);
const shape = shapeById(shapeId!);
const precision = precisionArg as Precision;
const blockSize = blockArg ? Number(blockArg) : undefined;
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const BATCH_RUNS = Number(process.env.BENCH_BATCH_RUNS ?? 5);
const BATCH = 8;
const THREADS = 2;
const mib = (b: number) => b / 2 ** 20;
const now = () => performance.now();

const dir = checkpointDir(shape);
let t = now();
const ckpt = await loadCheckpoint(dirSource(dir));
const readMs = now() - t;
const ptBytes = (await readFile(join(dir, 'hypermod.pt'))).byteLength;

t = now();
const model = convertCheckpoint(ckpt, { precision, ...(blockSize ? { blockSize } : {}) });
const convertMs = now() - t;
const rssAfterConvert = process.memoryUsage().rss;

t = now();
const runner = await createNodeRunner(model.graph, { numThreads: THREADS });
const sessionMs = now() - t;

const E = model.manifest.taskEmbSize;
const embeddings = fidelityEmbeddings(E, BATCH);
const one = { dims: [1, E], data: embeddings.subarray(0, E) };
/**
 * Before each timed run (single or batch) the latest batch's adapters are dropped and collected
 * (run.ts starts this process with --expose-gc), as a server's are once answered: a run then
 * reuses freed memory, as `t2l serve`'s do in steady state (change 17 in docs/benchmarks.md),
 * instead of being timed while the previous batch's 109 MB is still held. The collection itself is
 * not timed. A single's own adapters are dropped as it returns.
 */
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('node-case.ts needs --expose-gc (run.ts passes it)');
const settle = () => gc();
t = now();
await generateAdapters(model.manifest, runner, one);
const firstRunMs = now() - t;
const batchInput = { dims: [BATCH, E], data: embeddings };
// The latest batch's adapters (for the fidelity check below), dropped before each timed run.
const held: { out?: Awaited<ReturnType<typeof generateAdapters>> } = {};
// One untimed batch: the heap grows to a batch's size once, as in a server's first minute.
held.out = await generateAdapters(model.manifest, runner, batchInput);
const { single, batch } = await timeInterleaved({
  runs: RUNS,
  batchRuns: BATCH_RUNS,
  before: () => {
    delete held.out;
    settle();
  },
  single: () => generateAdapters(model.manifest, runner, one),
  batch: async () => {
    held.out = await generateAdapters(model.manifest, runner, batchInput);
  },
});
// The loop ends on a batch when it times any; otherwise one more, untimed, for the fidelity check.
const batchOut = held.out ?? (await generateAdapters(model.manifest, runner, batchInput));
const peakRss = process.resourceUsage().maxRSS * 1024;
const heapUsed = process.memoryUsage().heapUsed;
const external = process.memoryUsage().arrayBuffers;
await runner.release();

// Fidelity against the fp32 package's adapters for the same 8 embeddings (the fp32 case runs first
// and leaves them in .bench/cache).
const refFile = join(BENCH_DIR, 'cache', `${shape.id}.fp32-adapters.f32`);
let fidelity: CaseResult['fidelity'];
if (precision === 'fp32') {
  await mkdir(join(BENCH_DIR, 'cache'), { recursive: true });
  await writeFile(refFile, flatten(model.manifest, batchOut));
  fidelity = { minCosine: 1, meanCosine: 1, maxRelError: 0, worst: '' };
} else if (existsSync(refFile)) {
  const ref = unflatten(model.manifest, new Uint8Array(await readFile(refFile)), BATCH);
  const c = compareAdapters(batchOut, ref);
  fidelity = {
    minCosine: c.minCosine,
    meanCosine: c.meanCosine,
    maxRelError: c.maxRelError,
    worst: c.worst,
  };
}

const flops = flopsPerEmbedding(model.manifest);
const result: CaseResult = {
  runtime: 'node',
  backend: 'cpu',
  threads: THREADS,
  shape: shape.id,
  precision,
  ...(blockSize ? { blockSize } : {}),
  ptMiB: mib(ptBytes),
  params: model.manifest.paramCount,
  packageMiB: mib(model.graph.byteLength),
  readMs,
  convertMs,
  sessionMs,
  firstRunMs,
  single: stats(single),
  batch8: stats(batch),
  flopsPerEmbedding: flops,
  weightBytes: model.manifest.weights!.initializerBytes,
  memory: {
    peakRssMiB: mib(peakRss),
    rssAfterConvertMiB: mib(rssAfterConvert),
    heapUsedMiB: mib(heapUsed),
    arrayBuffersMiB: mib(external),
  },
  ...(fidelity ? { fidelity } : {}),
};
process.stdout.write(JSON.stringify(result) + '\n');

function flatten(m: PackageManifest, adapters: GeneratedAdapter[]): Uint8Array {
  const parts: Float32Array[] = [];
  for (const a of adapters)
    for (const mod of m.modules) parts.push(a.modules[mod.name]!.loraA, a.modules[mod.name]!.loraB);
  const total = parts.reduce((s, p) => s + p.length, 0);
  const out = new Float32Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return new Uint8Array(out.buffer);
}

function unflatten(m: PackageManifest, bytes: Uint8Array, n: number): GeneratedAdapter[] {
  const all = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  let at = 0;
  const take = (len: number) => all.subarray(at, (at += len));
  return Array.from({ length: n }, () => {
    const modules: GeneratedAdapter['modules'] = {};
    for (const mod of m.modules) {
      const common = {
        layers: m.layers,
        rank: m.rank,
        inFeatures: mod.inFeatures,
        outFeatures: mod.outFeatures,
      };
      const loraA = take(m.layers * m.rank * mod.inFeatures);
      const loraB = take(m.layers * mod.outFeatures * m.rank);
      modules[mod.name] = { loraA, loraB, ...common };
    }
    return { modules };
  });
}
