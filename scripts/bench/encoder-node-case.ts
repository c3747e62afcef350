/**
 * The real-size text encoder in onnxruntime-node (the CLI's path: createTextEncoder on a local
 * transformers.js folder), in its own process so that its peak memory is its own. Prints one JSON
 * line.
 *
 *   tsx scripts/bench/encoder-node-case.ts encode <dtype>
 *     session creation, then a 30- and a 300-token description (one untimed run each, then the
 *     median of BENCH_ENCODER_RUNS, default 5);
 *   tsx scripts/bench/encoder-node-case.ts pipeline <encoder dtype> <T2L precision>
 *     encode (30 tokens) + Mistral-7B T2L-L generation + packing to PEFT safetensors, each run
 *     timed by stage.
 */
import { loadCheckpoint } from '../../src/core/checkpoint/load';
import { adapterFiles } from '../../src/core/adapter/adapter-files';
import type { EncoderDtype } from '../../src/core/encoder/dtype';
import { createTextEncoder } from '../../src/core/encoder/text-encoder';
import { generateAdapters } from '../../src/core/generate';
import type { Precision } from '../../src/core/package/manifest';
import { convertCheckpoint } from '../../src/core/package/model';
import { benchDescription } from '../../src/fixtures/bench-descriptions';
import { dirSource } from '../../src/node/fs-source';
import { createNodeRunner } from '../../src/runtime/node';
import { checkpointDir } from './checkpoints';
import { ENCODER_DIR } from './encoder-files';
import { PIPELINE_SHAPE, type EncoderCaseResult, type PipelineCaseResult } from './encoder-types';
import { shapeById } from './shapes';
import { stats } from './types';

const [mode, dtypeArg, precisionArg] = process.argv.slice(2);
const dtype = dtypeArg as EncoderDtype;
const RUNS = Number(process.env.BENCH_ENCODER_RUNS ?? 5);
const now = () => performance.now();
const mib = (b: number) => b / 2 ** 20;

async function time<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = now();
  const r = await fn();
  return [r, now() - t];
}

let t = now();
const encoder = await createTextEncoder({ localPath: ENCODER_DIR, dtype, device: 'cpu' });
const sessionMs = now() - t;

if (mode === 'encode') {
  const result: EncoderCaseResult = {
    runtime: 'node',
    backend: 'cpu',
    dtype,
    sessionMs,
    encode: {},
    memory: {},
  };
  for (const tokens of [30, 300]) {
    const text = benchDescription(tokens);
    const [, firstMs] = await time(() => encoder.embed([text]));
    const runs: number[] = [];
    for (let i = 0; i < RUNS; i++) runs.push((await time(() => encoder.embed([text])))[1]);
    result.encode[tokens] = { firstMs, ...stats(runs) };
  }
  await encoder.dispose();
  result.memory['peakRssMiB'] = mib(process.resourceUsage().maxRSS * 1024);
  process.stdout.write(JSON.stringify(result) + '\n');
} else if (mode === 'pipeline') {
  const precision = precisionArg as Precision;
  t = now();
  const ckpt = await loadCheckpoint(dirSource(checkpointDir(shapeById(PIPELINE_SHAPE))));
  const model = convertCheckpoint(ckpt, { precision });
  const convertMs = now() - t;
  t = now();
  const runner = await createNodeRunner(model.graph, { numThreads: 2 });
  const t2lSessionMs = now() - t;
  const text = benchDescription(30);
  const stages = { encode: [] as number[], generate: [] as number[], pack: [] as number[] };
  const total: number[] = [];
  let packedBytes = 0;
  for (let i = 0; i <= RUNS; i++) {
    const t0 = now();
    const emb = await encoder.embed([text]);
    const t1 = now();
    const [adapter] = await generateAdapters(model.manifest, runner, emb);
    const t2 = now();
    const files = adapterFiles(model.manifest, adapter!, { description: text });
    const t3 = now();
    packedBytes = files['adapter_model.safetensors'].byteLength;
    if (i === 0) continue; // the first run warms both sessions
    stages.encode.push(t1 - t0);
    stages.generate.push(t2 - t1);
    stages.pack.push(t3 - t2);
    total.push(t3 - t0);
  }
  await runner.release();
  await encoder.dispose();
  const result: PipelineCaseResult = {
    runtime: 'node',
    backend: 'cpu',
    encoderDtype: dtype,
    precision,
    tokens: 30,
    encoderSessionMs: sessionMs,
    convertMs,
    t2lSessionMs,
    encode: stats(stages.encode),
    generate: stats(stages.generate),
    pack: stats(stages.pack),
    total: stats(total),
    safetensorsMiB: mib(packedBytes),
    memory: { peakRssMiB: mib(process.resourceUsage().maxRSS * 1024) },
  };
  process.stdout.write(JSON.stringify(result) + '\n');
} else {
  throw new Error(`encoder-node-case: unknown mode ${mode}`);
}
