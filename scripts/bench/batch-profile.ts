/**
 * Why a batch of 8 Mistral-L adapters does not cost less per adapter (issue 13, item 2): runs one
 * adapter and a batch of 8 through onnxruntime-node with profiling on (session option
 * enableProfiling), and prints per op type the kernel time of a batch against 8 singles, the time
 * outside the kernels (the binding: feeds, output copies), CPU time and page faults per run, and
 * the FLOPs against the MatMul ceiling.
 *
 *   tsx scripts/bench/batch-profile.ts [precision ...]   (default: fp32 int8; writes .bench/profile/)
 */
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { loadCheckpoint } from '../../src/core/checkpoint/load';
import type { Precision } from '../../src/core/package/manifest';
import { convertCheckpoint } from '../../src/core/package/model';
import { TASK_EMB_INPUT } from '../../src/core/onnx/t2l-graph';
import { fidelityEmbeddings } from '../../src/core/package/fidelity';
import { dirSource } from '../../src/node/fs-source';
import { BENCH_DIR, checkpointDir, ensureCheckpoint } from './checkpoints';
import { measureCeilings } from './ceilings';
import { shapeById } from './shapes';
import { stats } from './types';
import { flopsPerEmbedding } from './work';

const precisions = (
  process.argv.slice(2).length ? process.argv.slice(2) : ['fp32', 'int8']
) as Precision[];
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const THREADS = 2;
const OUT = join(BENCH_DIR, 'profile');
const shape = shapeById('mistral-L');
const log = (s: string) => process.stdout.write(`${s}\n`);

interface ProfileEvent {
  cat: string;
  name: string;
  dur: number;
  args?: { op_name?: string };
}

/** Runs `n` embeddings RUNS times (after one untimed run) in a profiling session. */
async function profiled(graph: Uint8Array, E: number, n: number, tag: string) {
  const session = await InferenceSession.create(graph, {
    executionProviders: ['cpu'],
    intraOpNumThreads: THREADS,
    enableProfiling: true,
    profileFilePrefix: join(OUT, tag),
  });
  const feeds = { [TASK_EMB_INPUT]: new Tensor('float32', fidelityEmbeddings(E, n), [n, E]) };
  await session.run(feeds);
  const wall: number[] = [];
  const cpu: number[] = [];
  const faults: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r0 = process.resourceUsage();
    const t = performance.now();
    const out = await session.run(feeds);
    wall.push(performance.now() - t);
    const r1 = process.resourceUsage();
    cpu.push((r1.userCPUTime + r1.systemCPUTime - r0.userCPUTime - r0.systemCPUTime) / 1000);
    faults.push(r1.minorPageFault - r0.minorPageFault);
    for (const v of Object.values(out)) v.dispose();
  }
  session.endProfiling();
  await session.release();
  const name = (await readdir(OUT)).find((f) => f.startsWith(`${tag}_`) && f.endsWith('.json'));
  if (!name) throw new Error(`no profile file for ${tag} in ${OUT}`);
  const file = join(OUT, name);
  const events = JSON.parse(await readFile(file, 'utf8')) as ProfileEvent[];
  const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run');
  const nRuns = runs.length; // the untimed run too
  const byOp = new Map<string, number>();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const op = e.args?.op_name ?? '?';
    byOp.set(op, (byOp.get(op) ?? 0) + e.dur / 1000 / nRuns);
  }
  const modelRun = runs.reduce((s, e) => s + e.dur, 0) / 1000 / nRuns;
  return { wall: stats(wall), cpu: stats(cpu), faults: stats(faults), byOp, modelRun };
}

await ensureCheckpoint(shape, log);
await rm(OUT, { recursive: true, force: true });
await mkdir(OUT, { recursive: true });
const ceilings = await measureCeilings();
log(
  `load ${loadavg()[0]!.toFixed(1)}; MatMul ceiling ${ceilings.matmul.gflops.toFixed(0)} GFLOP/s ` +
    `(${ceilings.matmulFewRows.gflops.toFixed(0)} at 32 rows), copy ${ceilings.copy.gbps.toFixed(1)} GB/s`,
);
const ckpt = await loadCheckpoint(dirSource(checkpointDir(shape)));
for (const precision of precisions) {
  const model = convertCheckpoint(ckpt, { precision });
  const E = model.manifest.taskEmbSize;
  const flops = flopsPerEmbedding(model.manifest);
  const load0 = loadavg()[0]!;
  const one = await profiled(model.graph, E, 1, `${precision}-1`);
  const eight = await profiled(model.graph, E, 8, `${precision}-8`);
  const floor1 = (1000 * flops) / (ceilings.matmul.gflops * 1e9);
  log(
    `\n## Mistral-L ${precision} (load ${load0.toFixed(1)} → ${loadavg()[0]!.toFixed(1)}); ` +
      `${(flops / 1e9).toFixed(2)} GFLOP per adapter, floor ${floor1.toFixed(1)} ms (1) / ${(8 * floor1).toFixed(1)} ms (8)`,
  );
  const row = (what: string, a: number, b: number, d = 1) =>
    log(`| ${what} | ${a.toFixed(d)} | ${b.toFixed(d)} | ${(b / (8 * a)).toFixed(2)} |`);
  log('| per run | 1 adapter | batch of 8 | 8 ÷ (8 × 1) |');
  log('| --- | ---: | ---: | ---: |');
  row('wall ms (median)', one.wall.median, eight.wall.median);
  row('CPU ms (median, all threads)', one.cpu.median, eight.cpu.median);
  row('model_run ms (profile)', one.modelRun, eight.modelRun);
  row(
    'outside model_run ms (binding)',
    one.wall.median - one.modelRun,
    eight.wall.median - eight.modelRun,
  );
  row('minor page faults', one.faults.median, eight.faults.median, 0);
  const ops = [...new Set([...one.byOp.keys(), ...eight.byOp.keys()])].sort(
    (a, b) => (eight.byOp.get(b) ?? 0) - (eight.byOp.get(a) ?? 0),
  );
  for (const op of ops) row(`kernel ${op} ms`, one.byOp.get(op) ?? 0, eight.byOp.get(op) ?? 0, 2);
  const mm = (m: Map<string, number>) =>
    [...m].filter(([op]) => /MatMul/.test(op)).reduce((s, [, v]) => s + v, 0);
  log(
    `MatMul-type kernels: ${((flops / 1e9 / mm(one.byOp)) * 1000).toFixed(0)} GFLOP/s for 1, ` +
      `${(((8 * flops) / 1e9 / mm(eight.byOp)) * 1000).toFixed(0)} GFLOP/s for 8`,
  );
}
