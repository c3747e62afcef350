/**
 * The GGUF LoRA that t2l-web writes, applied by real llama.cpp (node-llama-cpp's prebuilt binaries,
 * CPU, no build, no download), against a reference the test builds itself: the Hugging Face-layout
 * base with the PEFT update merged into its q/v weights (W + s·B·A, s from adapter_config.json), then
 * converted to GGUF as convert_hf_to_gguf.py does (q/k rows permuted for llama). Next-token
 * log-probabilities of base + GGUF LoRA must equal the merged model's, and differ from the base's.
 * The adapter comes from a demo T2L (models/demo/packages/M, written by `npm run fixtures`); the
 * llama base is the demo base model itself.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getLlama, LlamaLogLevel, type Llama } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adapterFiles } from '../../src/core/adapter/adapter-files';
import { adapterGguf } from '../../src/core/adapter/download';
import { generateAdapters, type GeneratedAdapter } from '../../src/core/generate';
import { openModel } from '../../src/core/package/model';
import type { PackageManifest } from '../../src/core/package/manifest';
import {
  DEMO_BASE_OPTIONS,
  makeTinyBase,
  tinyBaseGguf,
  type TinyBase,
} from '../../src/fixtures/tiny-base';
import { dirSource } from '../../src/node/fs-source';
import { createNodeRunner } from '../../src/runtime/node';
import { parseSafetensorsIndependently } from '../support/independent-safetensors';

const ROOT = join(import.meta.dirname, '..', '..');
const DEMO_PACKAGE = join(ROOT, 'models', 'demo', 'packages', 'M');
const DEMO_BASE_FILE = join(ROOT, 'models', 'demo', 'base', 'tiny-llama.gguf');
const PROMPT = '<s><|user|>Write a short poem about the sea.<|end|><|assistant|>';

let llama: Llama;
let dir: string;
let manifest: PackageManifest;
let adapter: GeneratedAdapter;

beforeAll(async () => {
  if (!existsSync(DEMO_PACKAGE)) throw new Error('run `npm run fixtures` first (models/demo)');
  dir = mkdtempSync(join(tmpdir(), 't2l-llamacpp-'));
  const model = await openModel(dirSource(DEMO_PACKAGE));
  manifest = model.manifest;
  const runner = await createNodeRunner(model.graph, { backends: ['cpu'] });
  try {
    // A fixed unit-norm task embedding (what the text encoder would give).
    let seed = 3;
    const e = Float32Array.from({ length: manifest.taskEmbSize }, () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed / 2 ** 32 - 0.5;
    });
    const norm = Math.hypot(...e);
    [adapter] = (await generateAdapters(manifest, runner, {
      dims: [1, e.length],
      data: e.map((x) => x / norm),
    })) as [GeneratedAdapter];
  } finally {
    await runner.release();
  }
  llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
}, 600_000);

afterAll(async () => {
  await llama?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** PEFT's update merged into the Hugging Face weights: W + s·B·A per layer and module. */
function mergePeft(base: TinyBase, peftConfig: string, peftWeights: Uint8Array): TinyBase {
  const config = JSON.parse(peftConfig) as { r: number; lora_alpha: number; use_rslora?: boolean };
  // PEFT LoraLayer.update_layer: scaling = lora_alpha / sqrt(r) with use_rslora, else lora_alpha / r.
  const s = config.use_rslora
    ? config.lora_alpha / Math.sqrt(config.r)
    : config.lora_alpha / config.r;
  const { tensors } = parseSafetensorsIndependently(peftWeights);
  const weights = new Map(base.weights);
  let merged = 0;
  for (const [name, a] of tensors) {
    const m = /^base_model\.model\.(model\.layers\.\d+\.self_attn\.[a-z_]+)\.lora_A\.weight$/.exec(
      name,
    );
    if (!m) continue;
    const b = tensors.get(name.replace('lora_A', 'lora_B'))!;
    const w = base.weights.get(`${m[1]}.weight`)!;
    const [out, inF] = w.shape as [number, number];
    const r = a.shape[0]!;
    expect(a.shape).toEqual([r, inF]);
    expect(b.shape).toEqual([out, r]);
    const data = Float32Array.from(w.data);
    for (let i = 0; i < out; i++) {
      for (let j = 0; j < inF; j++) {
        let acc = 0;
        for (let k = 0; k < r; k++) acc += b.values[i * r + k]! * a.values[k * inF + j]!;
        data[i * inF + j]! += s * acc;
      }
    }
    weights.set(`${m[1]}.weight`, { shape: w.shape, data });
    merged++;
  }
  expect(merged).toBe(manifest.layers * manifest.moduleOrder.length);
  return { ...base, weights };
}

/**
 * Next-token log-probabilities after the prompt. node-llama-cpp 3.21.1 gives the full softmax
 * (no sampling options: plain softmax of the logits) but not the logits themselves.
 */
async function nextLogprobs(
  modelPath: string,
  vocabSize: number,
  lora?: string,
): Promise<Float64Array> {
  const model = await llama.loadModel({ modelPath });
  try {
    const ctx = await model.createContext({
      contextSize: 64,
      // The models are tiny: one thread (more spin at barriers on a busy 2-core machine).
      threads: 1,
      // Plain attention with a float32 K/V cache: llama.cpp's CPU flash attention (node-llama-cpp's
      // default) works in f16, whose rounding of values the LoRA and the merged weights compute in a
      // different order moved log-probabilities by 6e-4 here; this way they agree to ~2e-6.
      flashAttention: false,
      experimentalKvCacheKeyType: 'F32',
      experimentalKvCacheValueType: 'F32',
      ...(lora ? { lora: { adapters: [{ filePath: lora, scale: 1 }] } } : {}),
    });
    const tokens = [...model.tokenize(PROMPT, true)];
    const out = await ctx
      .getSequence()
      .controlledEvaluate(
        tokens.map((t, i) =>
          i === tokens.length - 1 ? [t, { generateNext: { probabilities: true } }] : t,
        ),
      );
    const probabilities = out[tokens.length - 1]!.next.probabilities!;
    await ctx.dispose();
    const logprobs = new Float64Array(vocabSize).fill(NaN);
    for (const [tok, p] of probabilities) logprobs[tok] = Math.log(p);
    return logprobs;
  } finally {
    await model.dispose();
  }
}

const maxDiff = (a: Float64Array, b: Float64Array) =>
  a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);

describe.each([
  { arch: 'llama' as const, gguf: undefined },
  { arch: 'gemma2' as const, gguf: { arch: 'gemma2' as const } },
])('GGUF LoRA in llama.cpp: $arch', { timeout: 600_000 }, ({ arch, gguf }) => {
  it('base + GGUF LoRA = merged model within 1e-4 in log-probability; the LoRA moves them by > 0.1', async () => {
    const base = makeTinyBase({ ...DEMO_BASE_OPTIONS, arch });
    const baseBytes = tinyBaseGguf(base);
    if (arch === 'llama' && existsSync(DEMO_BASE_FILE)) {
      // The llama base is the demo base model `npm run fixtures` writes.
      expect(Buffer.compare(readFileSync(DEMO_BASE_FILE), baseBytes)).toBe(0);
    }
    const peft = adapterFiles(manifest, adapter);
    const merged = mergePeft(base, peft['adapter_config.json'], peft['adapter_model.safetensors']);
    const paths = {
      base: join(dir, `${arch}-base.gguf`),
      merged: join(dir, `${arch}-merged.gguf`),
    };
    const loraPath = join(dir, `${arch}-lora.gguf`);
    writeFileSync(paths.base, baseBytes);
    writeFileSync(paths.merged, tinyBaseGguf(merged));
    writeFileSync(loraPath, adapterGguf(manifest, adapter, gguf ? { gguf } : {}));

    const V = base.config.vocabSize;
    const plain = await nextLogprobs(paths.base, V);
    const withLora = await nextLogprobs(paths.base, V, loraPath);
    const reference = await nextLogprobs(paths.merged, V);
    for (const v of [plain, withLora, reference]) expect(v.every(Number.isFinite)).toBe(true);
    expect(maxDiff(withLora, reference)).toBeLessThan(1e-4);
    expect(maxDiff(plain, reference)).toBeGreaterThan(0.1);
  });
});
