import { cp, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BertTokenizer, env } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { writeGteEncoder } from '../../../scripts/fixtures/write-tiny-encoder';
import type { WeightTable } from '../../../src/core/checkpoint/spec';
import * as ort from 'onnxruntime-node';
import { createTextEncoder, type EncoderGraph } from '../../../src/core/encoder/text-encoder';
import {
  GTE_LARGE_OPTIONS,
  gteEncoderFiles,
  gteShape,
  gteWeights,
} from '../../../src/fixtures/gte-encoder';

// The gte fixture (model_type "new") run through the project's encoder path, checked against
// NewModel's forward restated here in float64 from Alibaba-NLP/new-impl's modeling.py: LayerNorm of
// word + token-type embeddings; per layer packed qkv, rotary positions (rotate_half, NTK-scaled
// frequencies), softmax attention, o_proj, post-LN, gated MLP [up | gate] with GELU(erf) on the
// gate, post-LN; then the CLS row, L2-normalized and scaled by √E as the spec's encoder does.

const OPTIONS = { hiddenSize: 64, layers: 2, heads: 2, intermediate: 48, seed: 99 } as const;
const SHAPE = gteShape(OPTIONS);
const E = SHAPE.hidden;
let root: string;
let dir: string;
let tokenizer: BertTokenizer;
let config: Record<string, unknown> & {
  rope_theta: number;
  rope_scaling: { factor: number };
  layer_norm_eps: number;
  vocab_size: number;
};
let weights: WeightTable;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 't2l-gte-'));
  dir = join(root, 'gte-tiny');
  await writeGteEncoder(dir, { ...OPTIONS, dtypes: ['fp32', 'fp16', 'q8', 'q4'] });
  const json = JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8'));
  const tokConfig = JSON.parse(await readFile(join(dir, 'tokenizer_config.json'), 'utf8'));
  tokenizer = new BertTokenizer(json, tokConfig);
  config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
  weights = gteWeights(SHAPE, config.vocab_size, OPTIONS.seed);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

type Matrix = Float64Array[];

function W(key: string): { data: Float32Array; shape: number[] } {
  const t = weights.get(key);
  return { data: t.data, shape: t.shape };
}

/** x·Wᵀ + b, W a PyTorch [out, in] weight. */
function linear(x: Matrix, key: string, bias = true): Matrix {
  const { data, shape } = W(`${key}.weight`);
  const [out, inp] = shape as [number, number];
  const b = bias ? W(`${key}.bias`).data : undefined;
  return x.map((row) => {
    const y = new Float64Array(out);
    for (let o = 0; o < out; o++) {
      let s = b ? b[o]! : 0;
      for (let i = 0; i < inp; i++) s += row[i]! * data[o * inp + i]!;
      y[o] = s;
    }
    return y;
  });
}

function layerNorm(x: Matrix, key: string): Matrix {
  const g = W(`${key}.weight`).data;
  const b = W(`${key}.bias`).data;
  return x.map((row) => {
    const mean = row.reduce((a, v) => a + v, 0) / row.length;
    const variance = row.reduce((a, v) => a + (v - mean) ** 2, 0) / row.length;
    const inv = 1 / Math.sqrt(variance + config.layer_norm_eps);
    return row.map((v, i) => (v - mean) * inv * g[i]! + b[i]!);
  });
}

function erf(x: number): number {
  // Abramowitz–Stegun 7.1.26 is too coarse for 1e-5 checks: integrate the series instead.
  let sum = 0;
  let term = x;
  for (let n = 0; n < 200; n++) {
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17) break;
    term *= (-x * x) / (n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

/** NewModel's last_hidden_state for one unpadded sequence, in float64. */
function forward(ids: number[]): Matrix {
  const { hidden: D, heads, intermediate: F } = SHAPE;
  const dh = D / heads;
  const word = W('embeddings.word_embeddings.weight').data;
  const type = W('embeddings.token_type_embeddings.weight').data;
  let x: Matrix = ids.map((id) =>
    Float64Array.from({ length: D }, (_, i) => word[id * D + i]! + type[i]!),
  );
  x = layerNorm(x, 'embeddings.LayerNorm');
  // NTK (mixed_b absent): base θ·factor, then every frequency divided by factor^(2/d).
  const theta = config.rope_theta * config.rope_scaling.factor;
  const inv = Array.from(
    { length: dh / 2 },
    (_, i) => 1 / theta ** ((2 * i) / dh) / config.rope_scaling.factor ** (2 / dh),
  );
  const rotate = (v: Float64Array, pos: number) => {
    const out = new Float64Array(dh);
    for (let j = 0; j < dh; j++) {
      const angle = pos * inv[j % (dh / 2)]!;
      const half = j < dh / 2 ? -v[j + dh / 2]! : v[j - dh / 2]!;
      out[j] = v[j]! * Math.cos(angle) + half * Math.sin(angle);
    }
    return out;
  };
  for (let l = 0; l < SHAPE.layers; l++) {
    const k = `encoder.layer.${l}`;
    const qkv = linear(x, `${k}.attention.qkv_proj`);
    const context: Matrix = x.map(() => new Float64Array(D));
    for (let h = 0; h < heads; h++) {
      const part = (offset: number, pos: number, rope: boolean) => {
        const v = qkv[pos]!.slice(offset + h * dh, offset + (h + 1) * dh);
        return rope ? rotate(v, pos) : v;
      };
      for (let i = 0; i < ids.length; i++) {
        const q = part(0, i, true);
        const scores = ids.map((_, j) => {
          const key = part(D, j, true);
          let s = 0;
          for (let d = 0; d < dh; d++) s += q[d]! * key[d]!;
          return s / Math.sqrt(dh);
        });
        const max = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - max));
        const z = e.reduce((a, b) => a + b, 0);
        for (let j = 0; j < ids.length; j++) {
          const v = part(2 * D, j, false);
          for (let d = 0; d < dh; d++) context[i]![h * dh + d]! += (e[j]! / z) * v[d]!;
        }
      }
    }
    const attn = linear(context, `${k}.attention.o_proj`);
    x = layerNorm(
      x.map((row, i) => row.map((v, d) => v + attn[i]![d]!)),
      `${k}.attn_ln`,
    );
    const upGate = linear(x, `${k}.mlp.up_gate_proj`, false);
    const gated = upGate.map((row) =>
      Float64Array.from({ length: F }, (_, f) => {
        const gate = row[F + f]!;
        return 0.5 * gate * (1 + erf(gate / Math.SQRT2)) * row[f]!;
      }),
    );
    const down = linear(gated, `${k}.mlp.down_proj`);
    x = layerNorm(
      x.map((row, i) => row.map((v, d) => v + down[i]![d]!)),
      `${k}.mlp_ln`,
    );
  }
  return x;
}

function expectedEmbedding(text: string): Float64Array {
  const cls = forward(tokenizer.encode(text))[0]!;
  const norm = Math.hypot(...cls);
  return cls.map((v) => (v / norm) * Math.sqrt(E));
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return ab / Math.sqrt(aa * bb);
}

const TEXTS = [
  'Solve the math word problems step by step and give the answer.',
  'classify the sentiment of each review as positive or negative',
];

describe('the gte ("new") encoder fixture through createTextEncoder', () => {
  it("declares gte-large-en-v1.5's architecture in config.json", () => {
    expect(config).toMatchObject({
      model_type: 'new',
      architectures: ['NewModel'],
      position_embedding_type: 'rope',
      rope_theta: 160000,
      rope_scaling: { type: 'ntk', factor: 2 },
      pack_qkv: true,
      hidden_act: 'gelu',
      layer_norm_type: 'layer_norm',
      hidden_size: E,
    });
  });

  it("embeds as NewModel's forward pass (fp32), loaded on purpose, not by a fallback", async () => {
    const warn = vi.spyOn(console, 'warn');
    const encoder = await createTextEncoder({ localPath: dir, dtype: 'fp32' });
    try {
      const out = await encoder.embed(TEXTS);
      expect(out.dims).toEqual([TEXTS.length, E]);
      // The description as the encoder formatted it (a final "." added): formatting is not the
      // subject here.
      for (const [i, text] of out.formatted.entries()) {
        const expected = expectedEmbedding(text);
        const row = out.data.subarray(i * E, (i + 1) * E);
        let worst = 0;
        for (let d = 0; d < E; d++) worst = Math.max(worst, Math.abs(row[d]! - expected[d]!));
        expect(worst).toBeLessThan(1e-4);
      }
      expect(warn.mock.calls.flat().join(' ')).not.toMatch(/Unknown model class/);
    } finally {
      warn.mockRestore();
      await encoder.dispose();
    }
  });

  it('depends on the order of the words (rotary positions reach the CLS row)', async () => {
    const encoder = await createTextEncoder({ localPath: dir, dtype: 'fp32' });
    try {
      const out = await encoder.embed(['write a short poem', 'short a write poem']);
      expect(cosine(out.data.subarray(0, E), out.data.subarray(E))).toBeLessThan(0.999);
    } finally {
      await encoder.dispose();
    }
  });

  it('honours the attention mask: in a padded batch every real position is its text run alone', async () => {
    // The encoder path runs one description at a time (no padding), but the fixture stands in for
    // gte-large, which is fed padded batches elsewhere: right padding with mask zeros must not
    // reach a real position (rotary positions are unchanged by right padding).
    const texts = [...TEXTS, 'write a short poem.'];
    const ids = texts.map((t) => tokenizer.encode(t));
    const n = Math.max(...ids.map((r) => r.length));
    expect(new Set(ids.map((r) => r.length)).size).toBe(texts.length);
    const pad = tokenizer.pad_token_id!;
    const feed = (rows: number[][]) =>
      new ort.Tensor('int64', BigInt64Array.from(rows.flat(), BigInt), [rows.length, n]);
    const session = await ort.InferenceSession.create(join(dir, 'onnx', 'model.onnx'));
    try {
      const out = await session.run({
        input_ids: feed(ids.map((r) => [...r, ...Array<number>(n - r.length).fill(pad)])),
        attention_mask: feed(
          ids.map((r) => r.map(() => 1).concat(Array<number>(n - r.length).fill(0))),
        ),
        token_type_ids: feed(ids.map(() => Array<number>(n).fill(0))),
      });
      const hidden = out['last_hidden_state']!;
      expect(hidden.dims).toEqual([texts.length, n, E]);
      const data = hidden.data as Float32Array;
      for (const [i, row] of ids.entries()) {
        const expected = forward(row);
        let worst = 0;
        for (let p = 0; p < row.length; p++) {
          for (let d = 0; d < E; d++) {
            worst = Math.max(worst, Math.abs(data[(i * n + p) * E + d]! - expected[p]![d]!));
          }
        }
        expect(worst, `row ${i} (${row.length} of ${n} tokens)`).toBeLessThan(1e-4);
      }
    } finally {
      await session.release();
    }
  });

  it.each([
    ['fp16', 0.999],
    ['q8', 0.99],
    ['q4', 0.95],
  ])('the %s file embeds close to the fp32 forward pass', async (dtype, floor) => {
    const encoder = await createTextEncoder({ localPath: dir, dtype });
    try {
      const out = await encoder.embed([TEXTS[0]!]);
      expect(cosine(out.data, expectedEmbedding(TEXTS[0]!))).toBeGreaterThan(floor);
    } finally {
      await encoder.dispose();
    }
  });
});

/** The page's openGraph restated on onnxruntime-node: the file's bytes → a session. */
async function nodeGraph(path: string, opened: string[] = []): Promise<EncoderGraph> {
  opened.push(path);
  const session = await ort.InferenceSession.create(await readFile(path));
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(feeds) {
      const own: Record<string, ort.Tensor> = {};
      for (const [k, t] of Object.entries(feeds)) own[k] = new ort.Tensor('int64', t.data, t.dims);
      const hidden = (await session.run(own)).last_hidden_state!;
      return { dims: [...hidden.dims], data: hidden.data as Float32Array };
    },
    release: () => session.release(),
  };
}

describe("the encoder's graph opened by the caller (openGraph: the page on wasm)", () => {
  it("embeds as NewModel's forward pass, reading the dtype's file transformers.js would read", async () => {
    const opened: string[] = [];
    const encoder = await createTextEncoder({
      localPath: dir,
      dtype: 'fp32',
      openGraph: (url) => nodeGraph(url, opened),
    });
    try {
      const out = await encoder.embed(TEXTS);
      for (const [i, text] of out.formatted.entries()) {
        const expected = expectedEmbedding(text);
        const row = out.data.subarray(i * E, (i + 1) * E);
        let worst = 0;
        for (let d = 0; d < E; d++) worst = Math.max(worst, Math.abs(row[d]! - expected[d]!));
        expect(worst).toBeLessThan(1e-4);
      }
      expect(opened).toEqual([join(dir, 'onnx', 'model.onnx')]);
    } finally {
      await encoder.dispose();
    }
  });

  it('gives what transformers.js gives for the same q8 file', async () => {
    const own = await createTextEncoder({
      localPath: dir,
      dtype: 'q8',
      openGraph: (u) => nodeGraph(u),
    });
    const theirs = await createTextEncoder({ localPath: dir, dtype: 'q8' });
    try {
      const a = await own.embed(TEXTS);
      const b = await theirs.embed(TEXTS);
      let worst = 0;
      for (let i = 0; i < a.data.length; i++)
        worst = Math.max(worst, Math.abs(a.data[i]! - b.data[i]!));
      expect(worst).toBeLessThan(1e-5);
    } finally {
      await own.dispose();
      await theirs.dispose();
    }
  });

  it('refuses a graph without last_hidden_state or with inputs it cannot feed, naming them', async () => {
    const base = await nodeGraph(join(dir, 'onnx', 'model.onnx'));
    await base.release();
    const noOutput: EncoderGraph = { ...base, outputNames: ['pooler_output'] };
    const extraInput: EncoderGraph = { ...base, inputNames: [...base.inputNames, 'position_ids'] };
    for (const [graph, why] of [
      [noOutput, /onnx\/model\.onnx\): the model has no last_hidden_state output/],
      [extraInput, /inputs are input_ids, .*position_ids; expected input_ids/],
    ] as const) {
      const err = await createTextEncoder({
        localPath: dir,
        dtype: 'fp32',
        openGraph: async () => ({ ...graph, release: async () => {} }),
      }).catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'T2LError', code: 'bad-package' });
      expect(String((err as Error).message)).toMatch(why);
    }
  });
  it('lets the graph go when the tokenizer cannot be loaded (it is opened beside it)', async () => {
    const broken = join(dir, '..', 'gte-no-tokenizer');
    await cp(dir, broken, { recursive: true });
    await rm(join(broken, 'tokenizer.json'));
    let released = 0;
    const err = await createTextEncoder({
      localPath: broken,
      dtype: 'fp32',
      openGraph: async (url) => {
        const graph = await nodeGraph(url);
        return { ...graph, release: async () => void released++ };
      },
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'T2LError', code: 'missing-file' });
    // In the page the graph holds a worker and its heap: one left open would stay for good.
    expect(released).toBe(1);
  });
});

describe('a Hub encoder through another Hub endpoint', () => {
  const REVISION = '104333d6af6f97649377c2afbde10a7704870c7b';
  const ENDPOINT = 'http://127.0.0.1:5999/mirror';

  it('reads every file from {endpoint}/{repo}/resolve/{revision}/ and nowhere else', async () => {
    const urls: string[] = [];
    const prefix = `${ENDPOINT}/Alibaba-NLP/gte-large-en-v1.5/resolve/${REVISION}/`;
    // A stand-in for the endpoint: the fixture's files under the Hub's resolve layout, 404 else.
    const serve = async (input: string | URL | Request) => {
      const url = String(input instanceof Request ? input.url : input);
      urls.push(url);
      if (!url.startsWith(prefix)) return new Response('not here', { status: 404 });
      const path = join(dir, decodeURIComponent(url.slice(prefix.length)));
      const found = await stat(path).catch(() => null);
      if (!found?.isFile()) return new Response('no such file', { status: 404 });
      return new Response(await readFile(path), {
        headers: { 'content-length': String(found.size) },
      });
    };
    const saved = { global: globalThis.fetch, env: env.fetch };
    globalThis.fetch = vi.fn(serve) as unknown as typeof fetch;
    env.fetch = vi.fn(serve) as unknown as typeof env.fetch;
    try {
      const encoder = await createTextEncoder({
        model: 'Alibaba-NLP/gte-large-en-v1.5',
        revision: REVISION,
        endpoint: `${ENDPOINT}/`,
        cacheDir: join(root, 'hub-cache'),
      });
      const [text] = (await encoder.embed([TEXTS[0]!])).formatted;
      const out = await encoder.embed([text!]);
      expect(cosine(out.data, expectedEmbedding(text!))).toBeGreaterThan(0.999999);
      await encoder.dispose();
      expect(urls.length).toBeGreaterThan(0);
      expect(urls.filter((u) => !u.startsWith(prefix))).toEqual([]);
      expect(urls).toContain(`${prefix}onnx/model.onnx`);
      // The page's own graph path is handed the URL transformers.js would fetch (one cache key).
      const asked: string[] = [];
      const own = await createTextEncoder({
        model: 'Alibaba-NLP/gte-large-en-v1.5',
        revision: REVISION,
        endpoint: `${ENDPOINT}/`,
        cacheDir: join(root, 'hub-cache'),
        dtype: 'q8',
        openGraph: (url, file) => {
          asked.push(url);
          return nodeGraph(join(dir, file));
        },
      });
      await own.dispose();
      expect(asked).toEqual([`${prefix}onnx/model_quantized.onnx`]);
    } finally {
      globalThis.fetch = saved.global;
      env.fetch = saved.env;
    }
  });
});

describe('gte-large-en-v1.5 at its real size', () => {
  it('declares the published sizes (the weights are drawn only when a file is asked for)', () => {
    const files = gteEncoderFiles({ ...GTE_LARGE_OPTIONS, dtypes: ['q8'] });
    expect(Object.keys(files).sort()).toEqual([
      'config.json',
      'onnx/model_quantized.onnx',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    expect(JSON.parse(files['config.json'] as string)).toMatchObject({
      model_type: 'new',
      hidden_size: 1024,
      num_hidden_layers: 24,
      num_attention_heads: 16,
      intermediate_size: 4096,
      vocab_size: 30528,
    });
  });
});
