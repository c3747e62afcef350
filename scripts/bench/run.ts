/**
 * `npm run bench`: synthetic checkpoints with the shapes of the released T2Ls (written once into
 * .bench/checkpoints), the machine's ceilings, every shape × precision in onnxruntime-node (one
 * process per case), a selection in headless Chromium (wasm with 2 threads; WebGPU for the
 * smallest), then .bench/results/*.json and the table in docs/benchmarks.md.
 *
 * Options: --node-only, --browser-only, --shapes a,b, --precisions p,q, --runs n (warm runs per
 * case, default 10), --passes n (Node cases run n times, the least disturbed kept), --no-write-docs,
 * --llm-only / --no-llm (the LLM part, scripts/bench/llm.ts), --encoder-only / --no-encoder (the
 * real-size text encoder and the whole pipeline, scripts/bench/encoder-bench.ts; with
 * --encoder-dtypes a,b, --encoder-runs short,long (default 5,3), --encoder-webgpu-dtypes a,b,
 * --encoder-webgpu-runs short,long (default 1,0: WebGPU is SwiftShader here, CPU-emulated, slow)),
 * --first-adapter / --no-first-adapter (time to the first adapter in the production build,
 * scripts/bench/first-adapter.ts; --reps n, --typing-delay ms a key, default 25;
 * --first-adapter-hub ENTRY: a catalog entry at real size through the local Hub, hypernetwork
 * int8 and gte-large q8, --download-rate MB/s, default 50), --eval-only / --no-eval (accuracy
 * runs' examples per second, base and adapter, Node and Chromium, scripts/bench/eval-bench.ts;
 * --eval-max-tokens n, default 16, --eval-passes n, default 3).
 * Not part of `npm test`: it takes several minutes and its figures depend on the machine's load.
 */
import { runChildCase } from './child-case';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Precision } from '../../src/core/package/manifest';
import { browserCeilings, runBrowserCase } from './browser';
import { measureCeilings } from './ceilings';
import { runEncoderBench } from './encoder-bench';
import { renderEncoderReport } from './encoder-report';
import { runFirstAdapterBench } from './first-adapter';
import { GLIBC_ALLOCATOR } from '../../bin/allocator.mjs';
import { DOCS, prettier, writeDocsBlock } from './docs-block';
import { runLlmBench } from './llm';
import { runEvalBench } from './eval-bench';
import { BENCH_DIR, ensureCheckpoint } from './checkpoints';
import { renderReport, type BenchRun } from './report';
import { SHAPES, shapeById } from './shapes';
import type { CaseResult } from './types';
import { PIPELINE_SHAPE } from './encoder-types';
import type { EncoderDtype } from '../../src/core/encoder/dtype';
import { startVite } from './vite-server';

const ROOT = join(import.meta.dirname, '..', '..');
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const value = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const PRECISIONS: Precision[] = (value('precisions')?.split(',') as Precision[]) ?? [
  'fp32',
  'fp16',
  'int8',
  'q4',
];
const shapeIds = value('shapes')?.split(',') ?? SHAPES.map((s) => s.id);
const RUNS = Number(value('runs') ?? 10);
const PASSES = Number(value('passes') ?? 1);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Chromium cases: every precision of Mistral-L; int8 and 4-bit for the others, whose weights stay
 * 8- or 4-bit in the wasm heap (fp32 and fp16 of the Z = 512 ones would need their float32 weights
 * several times over in the 4 GiB heap); WebGPU (SwiftShader here, emulated on the CPU) for the
 * smallest checkpoint, one adapter only.
 */
const BROWSER_CASES: Array<{ shape: string; precision: Precision; backend: 'wasm' | 'webgpu' }> = [
  ...(['fp32', 'fp16', 'int8', 'q4'] as const).map((precision) => ({
    shape: 'mistral-L',
    precision,
    backend: 'wasm' as const,
  })),
  ...['mistral-M', 'mistral-S', 'gemma-L', 'llama-L'].flatMap((shape) =>
    (['int8', 'q4'] as const).map((precision) => ({ shape, precision, backend: 'wasm' as const })),
  ),
  { shape: 'mistral-S', precision: 'q4', backend: 'webgpu' },
];

const log = (s: string) => process.stderr.write(`${s}\n`);
const llmOptions = {
  log,
  writeDocs: !flag('no-write-docs'),
  nodeOnly: flag('node-only'),
  browserOnly: flag('browser-only'),
};
if (flag('llm-only')) {
  await runLlmBench(llmOptions);
  process.exit(0);
}
const evalOptions = {
  ...llmOptions,
  ...(value('eval-max-tokens') ? { maxTokens: Number(value('eval-max-tokens')) } : {}),
  ...(value('eval-passes') ? { passes: Number(value('eval-passes')) } : {}),
};
if (flag('eval-only')) {
  await runEvalBench(evalOptions);
  process.exit(0);
}
const firstAdapterOptions = {
  log,
  writeDocs: !flag('no-write-docs'),
  reps: Number(value('reps') ?? 5),
  label: value('label') ?? '',
  ...(value('typing-delay') ? { typingDelayMs: Number(value('typing-delay')) } : {}),
  ...(value('first-adapter-hub') ? { hubModel: value('first-adapter-hub')! } : {}),
  ...(value('download-rate') ? { bytesPerSecond: Number(value('download-rate')) * 1e6 } : {}),
};
if (flag('first-adapter')) {
  await runFirstAdapterBench(firstAdapterOptions);
  process.exit(0);
}
const t0 = performance.now();
if (flag('encoder-only')) {
  await ensureCheckpoint(shapeById(PIPELINE_SHAPE), log);
  const ceilings = await measureCeilings();
  await encoderPart({ ceilings, loadAtStart: loadavg() });
  process.exit(0);
}
const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(0)} s`;

function runNodeCase(shape: string, precision: Precision): Promise<CaseResult> {
  return runChildCase<CaseResult>('node-case.ts', [shape, precision], {
    // --expose-gc: node-case.ts collects the previous run's adapters between timed runs.
    nodeFlags: ['--expose-gc'],
    // As `t2l serve` runs (bin/t2l.mjs): batches reuse freed memory.
    env: { ...GLIBC_ALLOCATOR, BENCH_RUNS: String(RUNS) },
  }).catch((e: Error) => failed('node', shape, precision, e.message));
}

function failed(runtime: 'node' | 'chromium', shape: string, precision: string, error: string) {
  return { runtime, shape, precision, error } as CaseResult;
}

log(
  `t2l-web bench: ${cpus().length} CPUs (${cpus()[0]?.model}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
);
log('checkpoints:');
const ptBytes: Record<string, number> = {};
for (const id of shapeIds) {
  const shape = SHAPES.find((s) => s.id === id)!;
  ptBytes[id] = (await ensureCheckpoint(shape, log)).ptBytes;
}

const run: BenchRun = {
  date: new Date().toISOString(),
  machine: {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? '',
    memGiB: totalmem() / 2 ** 30,
    node: process.version,
    loadAtStart: loadavg(),
  },
  ceilings: await measureCeilings(),
  node: [],
  chromium: [],
};
log(
  `ceilings: MatMul ${run.ceilings.matmul.gflops.toFixed(0)} GFLOP/s (32 rows: ${run.ceilings.matmulFewRows.gflops.toFixed(0)}), copy ${run.ceilings.copy.gbps.toFixed(1)} GB/s  [${elapsed()}]`,
);

if (!flag('browser-only')) {
  for (const shape of shapeIds) {
    // fp32 first: its adapters are the reference the other precisions' fidelity is measured on.
    for (const precision of ['fp32', ...PRECISIONS.filter((p) => p !== 'fp32')] as Precision[]) {
      if (
        !PRECISIONS.includes(precision) &&
        existsSync(join(BENCH_DIR, 'cache', `${shape}.fp32-adapters.f32`))
      )
        continue;
      // With --passes n the case runs n times (fresh processes) and keeps its least disturbed pass
      // (lowest median): the CPUs are shared with whatever else runs on the machine.
      let r: CaseResult | undefined;
      const medians: number[] = [];
      for (let pass = 0; pass < PASSES; pass++) {
        const load = loadavg()[0]!;
        const x = await runNodeCase(shape, precision);
        x.loadAverage = [load, loadavg()[0]!];
        if (!x.error) medians.push(x.single.median);
        if (!r || r.error || (!x.error && x.single.median < r.single.median)) r = x;
      }
      r = r!;
      if (PASSES > 1) r.passMedians = medians;
      if (PRECISIONS.includes(precision)) run.node.push(r);
      log(
        r.error
          ? `node ${shape} ${precision}: FAILED ${r.error}`
          : `node ${shape} ${precision}: 1 adapter ${r.single.median.toFixed(1)} ms (min ${r.single.min.toFixed(1)}), batch 8 ${r.batch8.median.toFixed(0)} ms, package ${r.packageMiB.toFixed(0)} MiB  [${elapsed()}]`,
      );
    }
  }
}

if (!flag('node-only')) {
  const vite = await startVite();
  try {
    run.browserCeilings = await browserCeilings(vite.url, CHROMIUM);
    log(
      `chromium wasm MatMul ceiling ${run.browserCeilings.matmulGflops.toFixed(0)} GFLOP/s  [${elapsed()}]`,
    );
    for (const c of BROWSER_CASES) {
      if (!shapeIds.includes(c.shape) || !PRECISIONS.includes(c.precision)) continue;
      const load = loadavg()[0]!;
      let r: CaseResult | undefined;
      // One retry: under load the dev server has been seen to fail onnxruntime's wasm fetch.
      for (let attempt = 0; attempt < 2 && !r; attempt++) {
        try {
          r = await runBrowserCase({
            baseURL: vite.url,
            ...c,
            ptBytes: ptBytes[c.shape]!,
            runs: c.backend === 'webgpu' ? 2 : RUNS,
            batchRuns: c.backend === 'webgpu' ? 0 : 3,
            executablePath: CHROMIUM,
          });
        } catch (e) {
          if (attempt === 1) {
            r = failed('chromium', c.shape, c.precision, (e as Error).message.split('\n')[0]!);
            r.backend = c.backend;
          }
        }
      }
      const done = r!;
      done.loadAverage = [load, loadavg()[0]!];
      run.chromium.push(done);
      log(
        done.error
          ? `chromium ${c.backend} ${c.shape} ${c.precision}: FAILED ${done.error}`
          : `chromium ${c.backend} ${c.shape} ${c.precision}: 1 adapter ${done.single.median.toFixed(0)} ms, convert ${(done.readMs + done.convertMs).toFixed(0)} ms  [${elapsed()}]`,
      );
    }
  } finally {
    vite.child.kill();
  }
}

// Other processes share the CPUs: the ceilings are measured again at the end and the higher kept
// (the stricter floor).
const again = await measureCeilings();
run.ceilingsAtEnd = again;
run.ceilings = {
  matmul: { ...again.matmul, gflops: Math.max(again.matmul.gflops, run.ceilings.matmul.gflops) },
  matmulFewRows: {
    ...again.matmulFewRows,
    gflops: Math.max(again.matmulFewRows.gflops, run.ceilings.matmulFewRows.gflops),
  },
  matmulNBitsFewRows: {
    ...again.matmulNBitsFewRows,
    gflops: Math.max(again.matmulNBitsFewRows.gflops, run.ceilings.matmulNBitsFewRows.gflops),
  },
  copy: { ...again.copy, gbps: Math.max(again.copy.gbps, run.ceilings.copy.gbps) },
};
run.machine.loadAtEnd = loadavg();
run.seconds = (performance.now() - t0) / 1000;
await mkdir(join(BENCH_DIR, 'results'), { recursive: true });
const stamp = run.date.replace(/[:.]/g, '-');
const json = JSON.stringify(run, null, 2) + '\n';
await writeFile(join(BENCH_DIR, 'results', `bench-${stamp}.json`), json);
await writeFile(join(BENCH_DIR, 'results', 'latest.json'), json);
const report = renderReport(run);
await writeFile(join(BENCH_DIR, 'results', 'latest.md'), report);
if (!flag('no-write-docs')) {
  await writeDocsBlock('bench', report);
  await writeFile(join(ROOT, 'docs', 'benchmarks.json'), json);
  prettier(DOCS, join(ROOT, 'docs', 'benchmarks.json'));
}
if (!flag('no-encoder')) {
  await encoderPart({
    ceilings: run.ceilings,
    ...(run.browserCeilings ? { wasmGflops: run.browserCeilings.matmulGflops } : {}),
    loadAtStart: loadavg(),
  });
}
if (!flag('no-llm')) await runLlmBench(llmOptions);
if (!flag('no-eval')) await runEvalBench(evalOptions);
if (!flag('no-first-adapter') && !flag('node-only'))
  await runFirstAdapterBench(firstAdapterOptions);
log(
  `done in ${elapsed()}: .bench/results/latest.{json,md}${flag('no-write-docs') ? '' : ', docs/benchmarks.md'}`,
);

/**
 * The real-size text encoder and the whole pipeline (scripts/bench/encoder-bench.ts): its own
 * results file and its own block of docs/benchmarks.md, from this run.
 */
async function encoderPart(o: {
  ceilings: { matmul: { gflops: number } };
  wasmGflops?: number;
  loadAtStart: number[];
}): Promise<void> {
  const date = new Date().toISOString();
  const pair = (name: string, d: [number, number]) => {
    const [a, b] = (value(name) ?? `${d[0]},${d[1]}`).split(',').map(Number);
    return { short: a ?? d[0], long: b ?? d[1] };
  };
  const nodeOnly = flag('node-only');
  const vite = nodeOnly ? undefined : await startVite();
  let wasmGflops = o.wasmGflops;
  let encoder;
  try {
    if (vite && wasmGflops === undefined) {
      wasmGflops = (await browserCeilings(vite.url, CHROMIUM)).matmulGflops;
    }
    encoder = await runEncoderBench({
      log,
      nodeOnly,
      browserOnly: flag('browser-only'),
      ...(vite ? { baseURL: vite.url } : {}),
      executablePath: CHROMIUM,
      ...(value('encoder-dtypes')
        ? { dtypes: value('encoder-dtypes')!.split(',') as EncoderDtype[] }
        : {}),
      ...(value('encoder-webgpu-dtypes')
        ? { webgpuDtypes: value('encoder-webgpu-dtypes')!.split(',') as EncoderDtype[] }
        : {}),
      runs: pair('encoder-runs', [5, 3]),
      webgpuRuns: pair('encoder-webgpu-runs', [1, 0]),
    });
  } finally {
    vite?.child.kill();
  }
  const loadAtEnd = loadavg();
  const header =
    `Run of ${date.slice(0, 16).replace('T', ' ')} UTC on ${cpus().length} × ${cpus()[0]?.model ?? ''}, Node ${process.version}; ` +
    `1-minute load average ${o.loadAtStart[0]!.toFixed(1)} at the start, ${loadAtEnd[0]!.toFixed(1)} at the end ` +
    `(each row has its own); ${((performance.now() - t0) / 1000).toFixed(0)} s in all.`;
  const text = renderEncoderReport(
    encoder,
    { nodeGflops: o.ceilings.matmul.gflops, ...(wasmGflops ? { wasmGflops } : {}) },
    header,
  );
  await mkdir(join(BENCH_DIR, 'results'), { recursive: true });
  const json = JSON.stringify(
    { date, loadAtStart: o.loadAtStart, loadAtEnd, wasmGflops, ceilings: o.ceilings, encoder },
    null,
    2,
  );
  // --node-only and --browser-only runs may go side by side: each its own file.
  const part = nodeOnly ? '-node' : flag('browser-only') ? '-browser' : '';
  await writeFile(join(BENCH_DIR, 'results', `encoder-latest${part}.json`), json + '\n');
  await writeFile(join(BENCH_DIR, 'results', `encoder-latest${part}.md`), text);
  if (!flag('no-write-docs')) await writeDocsBlock('bench-encoder', text);
}
