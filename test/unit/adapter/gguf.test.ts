import { describe, expect, it } from 'vitest';
import { adapterFiles } from '../../../src/core/adapter/adapter-files';
import { adapterGguf } from '../../../src/core/adapter/download';
import { GGUF_ALIGNMENT } from '../../../src/core/adapter/gguf';
import {
  resolveGgufTarget,
  rotaryRowOrder,
  type GgufTargetOptions,
} from '../../../src/core/adapter/gguf-target';
import { T2LError } from '../../../src/core/errors';
import type { GeneratedAdapter } from '../../../src/core/generate';
import type { PackageManifest } from '../../../src/core/package/manifest';
import { parseGguf } from '../../support/gguf-reader';
import { parseSafetensorsIndependently } from '../../support/independent-safetensors';

// ---------------------------------------------------------------------------------------------
// Test-side helpers, written from numpy/PyTorch semantics rather than from the code under test.

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
}
const randn = (n: number, r: () => number) => Float32Array.from({ length: n }, r);

/**
 * llama.cpp's converter: `w.reshape(n, 2, rows // n // 2, cols).swapaxes(1, 2).reshape(rows, cols)`,
 * done literally: a C-order reshape is a view with C strides, swapaxes exchanges two (shape,
 * stride) pairs, and the final reshape copies the view out in C order.
 */
function numpyPermute(w: Float32Array, rows: number, cols: number, n: number): Float32Array {
  const shape = [n, 2, rows / n / 2, cols];
  const strides = [shape[1]! * shape[2]! * cols, shape[2]! * cols, cols, 1];
  const s = [shape[0]!, shape[2]!, shape[1]!, shape[3]!];
  const st = [strides[0]!, strides[2]!, strides[1]!, strides[3]!];
  const out = new Float32Array(w.length);
  let k = 0;
  for (let a = 0; a < s[0]!; a++)
    for (let b = 0; b < s[1]!; b++)
      for (let c = 0; c < s[2]!; c++)
        for (let d = 0; d < s[3]!; d++)
          out[k++] = w[a * st[0]! + b * st[1]! + c * st[2]! + d * st[3]!]!;
  return out;
}

/** y = M x for a row-major [rows, cols] M. */
function matvec(m: ArrayLike<number>, rows: number, cols: number, x: ArrayLike<number>): number[] {
  const y = new Array<number>(rows).fill(0);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) y[i]! += m[i * cols + j]! * x[j]!;
  return y;
}

/** Hugging Face Llama rotary embedding (rotate_half) on one head vector. */
function ropeHF(q: number[], pos: number, base = 10000): number[] {
  const d = q.length;
  const h = d / 2;
  const out = new Array<number>(d);
  for (let i = 0; i < h; i++) {
    const th = pos * base ** (-(2 * i) / d);
    out[i] = q[i]! * Math.cos(th) - q[i + h]! * Math.sin(th);
    out[i + h] = q[i + h]! * Math.cos(th) + q[i]! * Math.sin(th);
  }
  return out;
}

/** llama.cpp's "normal" rotary mode (the llama arch): adjacent pairs (2i, 2i+1). */
function ropeGGML(q: number[], pos: number, base = 10000): number[] {
  const d = q.length;
  const out = new Array<number>(d);
  for (let i = 0; i < d / 2; i++) {
    const th = pos * base ** (-(2 * i) / d);
    const x0 = q[2 * i]!;
    const x1 = q[2 * i + 1]!;
    out[2 * i] = x0 * Math.cos(th) - x1 * Math.sin(th);
    out[2 * i + 1] = x0 * Math.sin(th) + x1 * Math.cos(th);
  }
  return out;
}

const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i]!, 0);

// ---------------------------------------------------------------------------------------------

interface Dims {
  inFeatures: number;
  outFeatures: number;
}

function makeCase(
  dims: Record<string, Dims>,
  opts: { layers: number; rank: number; baseModel: string; seed?: number },
): { manifest: PackageManifest; adapter: GeneratedAdapter } {
  const r = rng(opts.seed ?? 1);
  const names = Object.keys(dims);
  const adapter: GeneratedAdapter = { modules: {} };
  for (const name of names) {
    const { inFeatures, outFeatures } = dims[name]!;
    adapter.modules[name] = {
      loraA: randn(opts.layers * opts.rank * inFeatures, r),
      loraB: randn(opts.layers * outFeatures * opts.rank, r),
      layers: opts.layers,
      rank: opts.rank,
      inFeatures,
      outFeatures,
    };
  }
  const manifest: PackageManifest = {
    format: 't2l-package',
    version: 1,
    source: 'test/checkpoint',
    baseModel: opts.baseModel,
    variant: 'M',
    positions: 'none',
    taskEmbSize: 1024,
    latentSize: 64,
    headInSize: 64,
    layers: opts.layers,
    rank: opts.rank,
    modules: names.map((name) => ({ name, ...dims[name]! })),
    moduleOrder: names,
    trainingTask: 'sft',
    precision: 'fp32',
    encoder: 'test/encoder',
    paramCount: 0,
    adapterConfig: {
      base_model_name_or_path: opts.baseModel,
      peft_type: 'LORA',
      r: opts.rank,
      lora_alpha: 16,
      target_modules: names,
      use_rslora: true,
      rank_pattern: {},
      alpha_pattern: {},
    },
    graph: 'model.onnx',
    createdBy: 't2l-web test',
  };
  return { manifest, adapter };
}

const GGUF_NAME: Record<string, string> = {
  q_proj: 'attn_q',
  k_proj: 'attn_k',
  v_proj: 'attn_v',
  o_proj: 'attn_output',
  gate_proj: 'ffn_gate',
  up_proj: 'ffn_up',
  down_proj: 'ffn_down',
};
const BLOCK: Record<string, string> = {
  q_proj: 'self_attn',
  k_proj: 'self_attn',
  v_proj: 'self_attn',
  o_proj: 'self_attn',
  gate_proj: 'mlp',
  up_proj: 'mlp',
  down_proj: 'mlp',
};

function errorOf(fn: () => unknown): T2LError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(T2LError);
    return e as T2LError;
  }
  throw new Error('expected a T2LError');
}

// A small llama-like model with every module llama.cpp has a name for: 4 query heads and 2 KV
// heads of size 6 (hidden 24), MLP 40.
const ALL: Record<string, Dims> = {
  q_proj: { inFeatures: 24, outFeatures: 24 },
  k_proj: { inFeatures: 24, outFeatures: 12 },
  v_proj: { inFeatures: 24, outFeatures: 12 },
  o_proj: { inFeatures: 24, outFeatures: 24 },
  gate_proj: { inFeatures: 24, outFeatures: 40 },
  up_proj: { inFeatures: 24, outFeatures: 40 },
  down_proj: { inFeatures: 40, outFeatures: 24 },
};
const HEADS: GgufTargetOptions = { arch: 'llama', nHead: 4, nKvHead: 2 };

describe('GGUF LoRA export', () => {
  for (const dtype of ['float32', 'float16'] as const) {
    it(`writes what llama.cpp loads, equal to the PEFT tensors after the q/k permutation (${dtype})`, async () => {
      const { manifest, adapter } = makeCase(ALL, {
        layers: 3,
        rank: 4,
        baseModel: 'acme/tiny-llama',
      });
      const bytes = adapterGguf(manifest, adapter, {
        dtype,
        description: 'Answer in French.',
        backend: 'cpu',
        gguf: HEADS,
      });
      const g = await parseGguf(bytes);
      expect(g.version).toBe(3);
      expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe('GGUF');

      // Every metadata key, its GGUF type (4 = u32, 6 = f32, 8 = string) and value.
      const alpha = g.metadata['adapter.lora.alpha']!.value as number;
      expect(g.metadata).toEqual({
        'general.architecture': { value: 'llama', type: 8 },
        'general.type': { value: 'adapter', type: 8 },
        'adapter.type': { value: 'lora', type: 8 },
        'general.name': { value: 'Text-to-LoRA adapter for tiny-llama', type: 8 },
        'general.description': { value: 'Answer in French.', type: 8 },
        'general.base_model.count': { value: 1, type: 4 },
        'general.base_model.0.name': { value: 'acme/tiny-llama', type: 8 },
        'adapter.lora.alpha': { value: alpha, type: 6 },
        'general.quantization_version': { value: 2, type: 4 },
        't2l.base_model': { value: 'acme/tiny-llama', type: 8 },
        't2l.variant': { value: 'M', type: 8 },
        't2l.checkpoint': { value: 'test/checkpoint', type: 8 },
        't2l.precision': { value: 'fp32', type: 8 },
        't2l.encoder': { value: 'test/encoder', type: 8 },
        't2l.generator': { value: 't2l-web test', type: 8 },
        't2l.description': { value: 'Answer in French.', type: 8 },
        't2l.backend': { value: 'cpu', type: 8 },
        't2l.module_order': { value: Object.keys(ALL).join(','), type: 8 },
        't2l.peft_lora_alpha': { value: '16', type: 8 },
        't2l.peft_use_rslora': { value: 'true', type: 8 },
        't2l.peft_scale': { value: String(16 / Math.sqrt(4)), type: 8 },
        't2l.qk_rows': { value: 'permuted for llama.cpp rotary layout', type: 8 },
      });
      // llama.cpp: scale = alpha / r with r = lora_b.ne[0]; PEFT rsLoRA: lora_alpha / sqrt(r).
      const rank = g.tensors.get('blk.0.attn_q.weight.lora_b')!.ne[0]!;
      expect(Math.fround(alpha) / rank).toBeCloseTo(16 / Math.sqrt(4), 6);
      expect(Math.abs(alpha / rank / (16 / Math.sqrt(4)) - 1)).toBeLessThan(1e-6);

      // Names, order (a before b), types, shapes and the data layout llama.cpp's loader demands.
      const peftDtype = dtype;
      const peft = parseSafetensorsIndependently(
        adapterFiles(manifest, adapter, { dtype: peftDtype })['adapter_model.safetensors'],
      ).tensors;
      const expectedOrder: string[] = [];
      for (let l = 0; l < 3; l++) {
        for (const m of Object.keys(ALL)) {
          expectedOrder.push(`blk.${l}.${GGUF_NAME[m]}.weight.lora_a`);
          expectedOrder.push(`blk.${l}.${GGUF_NAME[m]}.weight.lora_b`);
        }
      }
      expect(g.order).toEqual(expectedOrder);
      expect(g.dataOffset % GGUF_ALIGNMENT).toBe(0);
      let expectOffset = 0;
      const size = dtype === 'float32' ? 4 : 2;
      for (const name of g.order) {
        const t = g.tensors.get(name)!;
        expect(t.type, name).toBe(dtype === 'float32' ? 0 : 1);
        expect(t.offset, name).toBe(expectOffset);
        expectOffset += Math.ceil((t.values.length * size) / GGUF_ALIGNMENT) * GGUF_ALIGNMENT;
      }
      expect(bytes.length).toBe(g.dataOffset + expectOffset);

      for (let l = 0; l < 3; l++) {
        for (const [m, d] of Object.entries(ALL)) {
          const a = g.tensors.get(`blk.${l}.${GGUF_NAME[m]}.weight.lora_a`)!;
          const b = g.tensors.get(`blk.${l}.${GGUF_NAME[m]}.weight.lora_b`)!;
          const key = `base_model.model.model.layers.${l}.${BLOCK[m]}.${m}`;
          const pa = peft.get(`${key}.lora_A.weight`)!;
          const pb = peft.get(`${key}.lora_B.weight`)!;
          // lora_a.ne = [in, r] (PyTorch [r, in]); lora_b.ne = [r, out] (PyTorch [out, r]); llama.cpp
          // checks base.ne[0] == a.ne[0], base.ne[1] == b.ne[1], a.ne[1] == b.ne[0].
          expect(a.ne).toEqual([d.inFeatures, 4]);
          expect(b.ne).toEqual([4, d.outFeatures]);
          expect(pa.shape).toEqual([4, d.inFeatures]);
          expect(pb.shape).toEqual([d.outFeatures, 4]);
          expect(a.values).toEqual(pa.values);
          const heads = m === 'q_proj' ? 4 : m === 'k_proj' ? 2 : undefined;
          const wantB =
            heads === undefined ? pb.values : numpyPermute(pb.values, d.outFeatures, 4, heads);
          expect(b.values, `${m} layer ${l}`).toEqual(wantB);
          if (heads !== undefined) expect(b.values).not.toEqual(pb.values);
        }
      }
    });
  }

  it('gemma2 keeps the Hugging Face row order and is known by name', async () => {
    const { manifest, adapter } = makeCase(
      {
        q_proj: { inFeatures: 16, outFeatures: 16 },
        v_proj: { inFeatures: 16, outFeatures: 8 },
      },
      { layers: 2, rank: 8, baseModel: 'google/gemma-2-2b-it' },
    );
    const g = await parseGguf(adapterGguf(manifest, adapter));
    expect(g.metadata['general.architecture']!.value).toBe('gemma2');
    expect(g.metadata['t2l.qk_rows']!.value).toBe('as in PEFT');
    const peft = parseSafetensorsIndependently(
      adapterFiles(manifest, adapter)['adapter_model.safetensors'],
    ).tensors;
    expect(g.tensors.get('blk.1.attn_q.weight.lora_b')!.values).toEqual(
      peft.get('base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight')!.values,
    );
    const alpha = g.metadata['adapter.lora.alpha']!.value as number;
    expect(alpha / 8).toBeCloseTo(16 / Math.sqrt(8), 6);
  });

  it('real base-model sizes: Mistral-7B (32 heads, 8 KV heads) permutes q by 32 heads of 128', async () => {
    const { manifest, adapter } = makeCase(
      {
        q_proj: { inFeatures: 4096, outFeatures: 4096 },
        v_proj: { inFeatures: 4096, outFeatures: 1024 },
      },
      { layers: 1, rank: 8, baseModel: 'mistralai/Mistral-7B-Instruct-v0.2' },
    );
    const g = await parseGguf(adapterGguf(manifest, adapter, { dtype: 'float16' }));
    expect(g.metadata['general.architecture']!.value).toBe('llama');
    expect(g.tensors.get('blk.0.attn_q.weight.lora_b')!.ne).toEqual([8, 4096]);
    expect(g.tensors.get('blk.0.attn_v.weight.lora_a')!.ne).toEqual([4096, 8]);
    const peft = parseSafetensorsIndependently(
      adapterFiles(manifest, adapter, { dtype: 'float16' })['adapter_model.safetensors'],
    ).tensors;
    const pb = peft.get('base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight')!;
    expect(g.tensors.get('blk.0.attn_q.weight.lora_b')!.values).toEqual(
      numpyPermute(pb.values, 4096, 8, 32),
    );
  });

  it('knows the released base models and refuses what it cannot know, naming the option', () => {
    expect(resolveGgufTarget('mistralai/Mistral-7B-Instruct-v0.2', ['q_proj', 'v_proj'])).toEqual({
      arch: 'llama',
      nHead: 32,
      nKvHead: 8,
      permuteQK: true,
    });
    expect(resolveGgufTarget('meta-llama/Llama-3.1-8B-Instruct', ['q_proj'])).toMatchObject({
      arch: 'llama',
      nHead: 32,
      nKvHead: 8,
    });
    expect(resolveGgufTarget('/models/gemma-2-2b-it/', ['q_proj'])).toMatchObject({
      arch: 'gemma2',
      permuteQK: false,
    });
    const unknown = errorOf(() => resolveGgufTarget('acme/llm-9b', ['q_proj', 'v_proj']));
    expect(unknown.message).toContain('acme/llm-9b');
    expect(unknown.message).toContain('--arch llama');
    const heads = errorOf(() =>
      resolveGgufTarget('acme/llm-9b', ['q_proj', 'k_proj'], { arch: 'llama' }),
    );
    expect(heads.message).toContain('--n-head and --n-kv-head');
    // v_proj only: no permutation, so no head counts needed.
    expect(resolveGgufTarget('acme/llm-9b', ['v_proj'], { arch: 'llama' }).arch).toBe('llama');
    expect(resolveGgufTarget('acme/llm-9b', ['q_proj'], { arch: 'gemma2' }).permuteQK).toBe(false);
    expect(
      errorOf(() => resolveGgufTarget('x', ['q_proj'], { arch: 'qwen2' as never })).message,
    ).toContain('unsupported architecture');
    expect(
      errorOf(() => resolveGgufTarget('x', ['q_proj'], { arch: 'llama', nHead: 0 })).message,
    ).toContain('--n-head must be a positive integer');
  });

  it('refuses adapters llama.cpp could not use as PEFT does', () => {
    const { manifest, adapter } = makeCase(ALL, { layers: 1, rank: 4, baseModel: 'acme/x' });
    expect(
      errorOf(() => adapterGguf(manifest, adapter, { dtype: 'bfloat16', gguf: HEADS })).message,
    ).toContain('float32 or float16');
    // 24 q rows do not split into 5 heads of even size.
    expect(
      errorOf(() => adapterGguf(manifest, adapter, { gguf: { ...HEADS, nHead: 5 } })).message,
    ).toContain('do not split into 5 heads');
    const patterned = {
      ...manifest,
      adapterConfig: { ...manifest.adapterConfig, alpha_pattern: { q_proj: 32 } },
    };
    expect(errorOf(() => adapterGguf(patterned, adapter, { gguf: HEADS })).message).toContain(
      'alpha_pattern',
    );
    const lm = makeCase(
      { lm_head: { inFeatures: 8, outFeatures: 8 } },
      {
        layers: 1,
        rank: 2,
        baseModel: 'acme/x',
      },
    );
    expect(
      errorOf(() => adapterGguf(lm.manifest, lm.adapter, { gguf: { arch: 'gemma2' } })).message,
    ).toContain('no llama.cpp tensor for target module lm_head');
  });

  it('without rsLoRA, alpha is written unchanged', async () => {
    const { manifest, adapter } = makeCase(
      { v_proj: { inFeatures: 8, outFeatures: 4 } },
      { layers: 1, rank: 4, baseModel: 'google/gemma-2-2b-it' },
    );
    manifest.adapterConfig = { ...manifest.adapterConfig, use_rslora: false, lora_alpha: 32 };
    const g = await parseGguf(adapterGguf(manifest, adapter));
    expect(g.metadata['adapter.lora.alpha']!.value).toBe(32);
  });
});

describe('the q/k permutation, checked by an independent computation', () => {
  // A q projection with 2 query heads and a k projection with 1 KV head, head_dim 6, input 5.
  const nHead = 2;
  const nKv = 1;
  const hd = 6;
  const inF = 5;
  const r = 3;
  const scale = 16 / Math.sqrt(r);
  const rand = rng(42);
  const Wq = randn(nHead * hd * inF, rand);
  const Wk = randn(nKv * hd * inF, rand);
  const x = Array.from(randn(inF, rand));
  const { manifest, adapter } = makeCase(
    {
      q_proj: { inFeatures: inF, outFeatures: nHead * hd },
      k_proj: { inFeatures: inF, outFeatures: nKv * hd },
    },
    { layers: 1, rank: r, baseModel: 'acme/tiny', seed: 7 },
  );
  manifest.rank = r;
  manifest.adapterConfig = { ...manifest.adapterConfig, r };

  async function fromGguf(m: 'attn_q' | 'attn_k') {
    const g = await parseGguf(
      adapterGguf(manifest, adapter, { gguf: { arch: 'llama', nHead, nKvHead: nKv } }),
    );
    const alpha = g.metadata['adapter.lora.alpha']!.value as number;
    return {
      A: g.tensors.get(`blk.0.${m}.weight.lora_a`)!.values,
      B: g.tensors.get(`blk.0.${m}.weight.lora_b`)!.values,
      scale: alpha / g.tensors.get(`blk.0.${m}.weight.lora_b`)!.ne[0]!,
    };
  }

  /** HF: W·x + s·B·(A·x) with the PEFT matrices. */
  function hf(W: Float32Array, module: 'q_proj' | 'k_proj', heads: number): number[] {
    const mod = adapter.modules[module]!;
    const rows = heads * hd;
    const base = matvec(W, rows, inF, x);
    const ax = matvec(mod.loraA, r, inF, x);
    const bax = matvec(mod.loraB, rows, r, ax);
    return base.map((v, i) => v + scale * bax[i]!);
  }

  /** llama.cpp: the converter's permuted base weight plus the GGUF LoRA, at llama.cpp's scale. */
  async function ggml(W: Float32Array, m: 'attn_q' | 'attn_k', heads: number): Promise<number[]> {
    const { A, B, scale: s } = await fromGguf(m);
    const rows = heads * hd;
    const base = matvec(numpyPermute(W, rows, inF, heads), rows, inF, x);
    const bax = matvec(B, rows, r, matvec(A, r, inF, x));
    return base.map((v, i) => v + s * bax[i]!);
  }

  it('W_perm·x + s·B_perm·A·x is the permutation of W·x + s·B·A·x', async () => {
    for (const [W, mod, m, heads] of [
      [Wq, 'q_proj', 'attn_q', nHead],
      [Wk, 'k_proj', 'attn_k', nKv],
    ] as const) {
      const want = Array.from(
        numpyPermute(Float32Array.from(hf(W, mod, heads)), heads * hd, 1, heads),
      );
      const got = await ggml(W, m, heads);
      for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i]!, 4);
    }
  });

  it('so attention logits with llama.cpp rotary pairs equal Hugging Face rotate_half ones', async () => {
    const qHF = hf(Wq, 'q_proj', nHead);
    const kHF = hf(Wk, 'k_proj', nKv);
    const qG = await ggml(Wq, 'attn_q', nHead);
    const kG = await ggml(Wk, 'attn_k', nKv);
    for (const [pq, pk] of [
      [3, 1],
      [7, 7],
      [11, 2],
    ] as const) {
      for (let h = 0; h < nHead; h++) {
        const kv = Math.floor(h / (nHead / nKv)); // grouped-query attention
        const hfLogit = dot(
          ropeHF(qHF.slice(h * hd, (h + 1) * hd), pq),
          ropeHF(kHF.slice(kv * hd, (kv + 1) * hd), pk),
        );
        const ggmlLogit = dot(
          ropeGGML(qG.slice(h * hd, (h + 1) * hd), pq),
          ropeGGML(kG.slice(kv * hd, (kv + 1) * hd), pk),
        );
        expect(ggmlLogit).toBeCloseTo(hfLogit, 4);
      }
    }
  });

  it('the row order matches numpy reshape/swapaxes for the shipped head counts', () => {
    for (const [rows, heads] of [
      [4096, 32],
      [1024, 8],
      [12, 2],
    ] as const) {
      const idx = Float32Array.from({ length: rows }, (_, i) => i);
      expect(Float32Array.from(rotaryRowOrder(rows, heads))).toEqual(
        numpyPermute(idx, rows, 1, heads),
      );
    }
  });
});
