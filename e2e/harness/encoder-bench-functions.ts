import { adapterFiles } from '../../src/core/adapter/adapter-files';
import { CHECKPOINT_FILES, loadCheckpoint } from '../../src/core/checkpoint/load';
import { createTextEncoder, type DescriptionEncoder } from '../../src/core/encoder/text-encoder';
import { memorySource, urlSource } from '../../src/core/files';
import { generateAdapters } from '../../src/core/generate';
import type { PackageManifest, Precision } from '../../src/core/package/manifest';
import { convertCheckpoint } from '../../src/core/package/model';
import type { InferenceRunner } from '../../src/core/runtime/types';
import { benchDescription } from '../../src/fixtures/bench-descriptions';
import { createWebRunner } from '../../src/runtime/web';

/**
 * `npm run bench -- --encoder-only` in Chromium (scripts/bench/encoder-browser.ts): the real-size
 * random text encoder through createTextEncoder as the app's worker loads it (transformers.js on
 * onnxruntime-web), and the whole pipeline with the Mistral-L hypernetwork on the project's runner.
 */
let encoder: DescriptionEncoder | undefined;
let t2l: { manifest: PackageManifest; runner: InferenceRunner } | undefined;

const wasmPaths = () => new URL(`${import.meta.env.BASE_URL}ort/`, location.href).href;

async function benchEncoderLoad(url: string, dtype: string, device: string) {
  const t0 = performance.now();
  encoder = await createTextEncoder({ localPath: url, dtype, device, wasmPaths: wasmPaths() });
  return { sessionMs: performance.now() - t0, dim: encoder.dim };
}

/** One untimed run, then `runs` timed ones (ms), for a description of `tokens` tokens. */
async function benchEncode(tokens: number, runs: number) {
  const text = benchDescription(tokens);
  let t = performance.now();
  await encoder!.embed([text]);
  const firstMs = performance.now() - t;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    t = performance.now();
    await encoder!.embed([text]);
    times.push(performance.now() - t);
  }
  return { firstMs, times };
}

/** Fetches, converts and opens the hypernetwork (a wasm session) for the pipeline runs. */
async function benchPipelineT2l(checkpointUrl: string, precision: Precision) {
  const t0 = performance.now();
  const http = urlSource(checkpointUrl);
  const files: Record<string, Uint8Array> = {};
  for (const name of CHECKPOINT_FILES) files[name] = await http.read(name);
  const model = convertCheckpoint(await loadCheckpoint(memorySource('bench', files)), {
    precision,
  });
  const convertMs = performance.now() - t0;
  const t1 = performance.now();
  const runner = await createWebRunner(model.graph, { backends: ['wasm'] });
  t2l = { manifest: model.manifest, runner };
  return { convertMs, t2lSessionMs: performance.now() - t1 };
}

/** Encode (30 tokens) + generate + pack, `runs` times after one untimed run; ms per stage. */
async function benchPipelineRun(runs: number) {
  const { manifest, runner } = t2l!;
  const text = benchDescription(30);
  const out = { encode: [] as number[], generate: [] as number[], pack: [] as number[] };
  let safetensorsBytes = 0;
  for (let i = 0; i <= runs; i++) {
    const t0 = performance.now();
    const emb = await encoder!.embed([text]);
    const t1 = performance.now();
    const [adapter] = await generateAdapters(manifest, runner, emb);
    const t2 = performance.now();
    safetensorsBytes = adapterFiles(manifest, adapter!, { description: text })[
      'adapter_model.safetensors'
    ].byteLength;
    const t3 = performance.now();
    if (i === 0) continue;
    out.encode.push(t1 - t0);
    out.generate.push(t2 - t1);
    out.pack.push(t3 - t2);
  }
  return { ...out, safetensorsBytes };
}

async function benchEncoderRelease() {
  await encoder?.dispose();
  await t2l?.runner.release();
  encoder = undefined;
  t2l = undefined;
}

export const encoderBenchFunctions = {
  benchEncoderLoad,
  benchEncode,
  benchPipelineT2l,
  benchPipelineRun,
  benchEncoderRelease,
};
