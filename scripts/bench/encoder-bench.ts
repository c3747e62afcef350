/**
 * The real-size text encoder part of `npm run bench` (issue 13, item 3): gte-large-en-v1.5's shape
 * with random weights at every dtype the catalog offers, encoding a 30- and a 300-token description
 * in onnxruntime-node (the CLI's path) and in headless Chromium on wasm and WebGPU (the app's
 * path), and the whole pipeline (encode + Mistral-L hypernetwork + PEFT safetensors) in Node and
 * in Chromium wasm. Only this part: `npm run bench -- --encoder-only`.
 */
import { loadavg } from 'node:os';
import type { EncoderDtype } from '../../src/core/encoder/dtype';
import type { Precision } from '../../src/core/package/manifest';
import { GTE_LARGE_SHAPE, type EncoderShape } from '../../src/fixtures/tiny-encoder';
import { runChildCase } from './child-case';
import { runBrowserEncoderCase, runBrowserPipelineCase } from './encoder-browser';
import { ENCODER_DTYPES, ensureEncoder } from './encoder-files';
import type { EncoderCaseResult, PipelineCaseResult } from './encoder-types';

export interface EncoderBench {
  shape: EncoderShape;
  /** Each dtype's model.onnx, bytes. */
  bytes: Record<string, number>;
  node: EncoderCaseResult[];
  chromium: EncoderCaseResult[];
  pipelines: PipelineCaseResult[];
}

export interface EncoderBenchOptions {
  log: (s: string) => void;
  nodeOnly: boolean;
  browserOnly: boolean;
  /** Dev server serving the harness page and .bench/ (Chromium cases); none: Node only. */
  baseURL?: string;
  executablePath: string;
  dtypes?: EncoderDtype[];
  /** Timed encodes per description length in Node and Chromium wasm (default 5 and 3). */
  runs?: { short: number; long: number };
  /** WebGPU's dtypes (default: the same as dtypes). */
  webgpuDtypes?: EncoderDtype[];
  /** WebGPU (SwiftShader here, CPU-emulated): timed runs of the 30- and 300-token description. */
  webgpuRuns?: { short: number; long: number };
}

/** The two pipelines: the CLI's defaults (float32) and the app's wasm defaults (q8 + int8). */
const NODE_PIPELINES: Array<[EncoderDtype, Precision]> = [
  ['fp32', 'fp32'],
  ['q8', 'int8'],
];
const BROWSER_PIPELINES: Array<[EncoderDtype, Precision]> = [['q8', 'int8']];

async function measured<T extends { loadAverage?: [number, number]; error?: string }>(
  fn: () => Promise<T>,
  failed: (error: string) => T,
): Promise<T> {
  const load = loadavg()[0]!;
  let r: T;
  try {
    r = await fn();
  } catch (e) {
    r = failed((e as Error).message.split('\n')[0]!);
  }
  r.loadAverage = [load, loadavg()[0]!];
  return r;
}

const encodeLine = (r: EncoderCaseResult) =>
  r.error
    ? `FAILED ${r.error}`
    : `session ${(r.sessionMs / 1000).toFixed(1)} s, ` +
      Object.entries(r.encode)
        .map(([t, s]) => `${t} tokens ${s.median.toFixed(0)} ms`)
        .join(', ');

export async function runEncoderBench(o: EncoderBenchOptions): Promise<EncoderBench> {
  const { log } = o;
  const dtypes = o.dtypes ?? ENCODER_DTYPES;
  const runs = o.runs ?? { short: 5, long: 3 };
  const webgpuRuns = o.webgpuRuns ?? { short: 1, long: 0 };
  log('text encoder (gte-large-en-v1.5 shape, random weights):');
  const { bytes } = await ensureEncoder(log);
  const bench: EncoderBench = {
    shape: GTE_LARGE_SHAPE,
    bytes,
    node: [],
    chromium: [],
    pipelines: [],
  };
  const failedEncode =
    (runtime: 'node' | 'chromium', backend: EncoderCaseResult['backend'], dtype: string) =>
    (error: string): EncoderCaseResult => ({
      runtime,
      backend,
      dtype,
      sessionMs: NaN,
      encode: {},
      memory: {},
      error,
    });
  const failedPipeline =
    (runtime: 'node' | 'chromium', encoderDtype: string, precision: string) => (error: string) =>
      ({ runtime, encoderDtype, precision, error }) as PipelineCaseResult;

  if (!o.browserOnly) {
    for (const dtype of dtypes) {
      const r = await measured(
        () =>
          runChildCase<EncoderCaseResult>('encoder-node-case.ts', ['encode', dtype], {
            env: { BENCH_ENCODER_RUNS: String(runs.short) },
          }),
        failedEncode('node', 'cpu', dtype),
      );
      bench.node.push(r);
      log(`  node encoder ${dtype}: ${encodeLine(r)}`);
    }
    for (const [dtype, precision] of NODE_PIPELINES) {
      const r = await measured(
        () =>
          runChildCase<PipelineCaseResult>('encoder-node-case.ts', ['pipeline', dtype, precision], {
            env: { BENCH_ENCODER_RUNS: String(runs.short) },
          }),
        failedPipeline('node', dtype, precision),
      );
      bench.pipelines.push(r);
      log(
        `  node pipeline ${dtype} + ${precision}: ${r.error ? `FAILED ${r.error}` : `${r.total.median.toFixed(0)} ms`}`,
      );
    }
  }
  if (!o.nodeOnly && o.baseURL) {
    const baseURL = o.baseURL;
    for (const backend of ['wasm', 'webgpu'] as const) {
      const n = backend === 'wasm' ? runs : webgpuRuns;
      if (n.short <= 0 && n.long <= 0) continue;
      for (const dtype of backend === 'webgpu' ? (o.webgpuDtypes ?? dtypes) : dtypes) {
        const r = await measured(
          () =>
            runBrowserEncoderCase({
              baseURL,
              executablePath: o.executablePath,
              dtype,
              backend,
              runs: { 30: n.short, 300: n.long },
            }),
          failedEncode('chromium', backend, dtype),
        );
        bench.chromium.push(r);
        log(`  chromium ${backend} encoder ${dtype}: ${encodeLine(r)}`);
      }
    }
    for (const [dtype, precision] of BROWSER_PIPELINES) {
      const r = await measured(
        () =>
          runBrowserPipelineCase({
            baseURL,
            executablePath: o.executablePath,
            encoderDtype: dtype,
            precision,
            runs: runs.short,
          }),
        failedPipeline('chromium', dtype, precision),
      );
      bench.pipelines.push(r);
      log(
        `  chromium pipeline ${dtype} + ${precision}: ${r.error ? `FAILED ${r.error}` : `${r.total.median.toFixed(0)} ms`}`,
      );
    }
  }
  return bench;
}
