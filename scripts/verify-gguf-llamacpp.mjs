// Manual check of the GGUF LoRA export against real llama.cpp (not part of `npm test`: it needs
// llama.cpp binaries). It builds a tiny random base model in Hugging Face layout, converts it to GGUF
// the way llama.cpp's convert_hf_to_gguf.py does (for `llama`: q/k rows permuted by head), writes a
// second GGUF with the PEFT LoRA merged in (W + s·B·A, s = lora_alpha / sqrt(r)), exports the LoRA
// with t2l-web's adapterGguf, and compares the next-token logits of
//   base + GGUF LoRA (llama.cpp applies it)   vs   merged model (no adapter).
//
//   mkdir -p /tmp/llcpp && cd /tmp/llcpp && npm init -y >/dev/null &&
//     npm install --ignore-scripts --omit=optional node-llama-cpp@3.22.1 @node-llama-cpp/linux-x64@3.22.1
//   NODE_LLAMA_CPP=/tmp/llcpp/node_modules/node-llama-cpp/dist/index.js \
//     npx tsx scripts/verify-gguf-llamacpp.mjs [llama|gemma2] [float32|float16] [--n-head N]
//
// Prints the largest logit differences. Seen with node-llama-cpp 3.22.1: the LoRA moves logits by
// ~3; base + GGUF LoRA matches the merged model to ~1e-4 in float32 (rounding: in this random model,
// perturbing the merged weights by 1e-6 relative already moves logits by ~1e-3) and ~2e-3 in
// float16, for llama and gemma2; a wrong head count (--n-head 2) is off by ~1.
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { adapterGguf } from '../src/core/adapter/download.ts';

const [arch = 'llama', dtype = 'float32'] = process.argv
  .slice(2)
  .filter((a) => !a.startsWith('--'));
const headFlag = process.argv.indexOf('--n-head');
const lib = process.env.NODE_LLAMA_CPP;
if (!lib) throw new Error('set NODE_LLAMA_CPP to node-llama-cpp/dist/index.js (see the header)');
const { getLlama, LlamaLogLevel } = await import(pathToFileURL(lib).href);

const dir = join(tmpdir(), 't2l-verify-gguf');
mkdirSync(dir, { recursive: true });
let seed = 12345;
const rnd = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff - 0.5;
};
const randn = (n, s) => Float32Array.from({ length: n }, () => rnd() * 2 * s);

const [nEmbd, nHead, nKv, hd, nFf, nLayer, r, alpha] = [64, 4, 2, 16, 96, 2, 8, 16];
const nVocab = 3 + 256;
const scale = alpha / Math.sqrt(r);
const dims = {
  q_proj: [nEmbd, nHead * hd],
  k_proj: [nEmbd, nKv * hd],
  v_proj: [nEmbd, nKv * hd],
  o_proj: [nHead * hd, nEmbd],
  gate_proj: [nEmbd, nFf],
  up_proj: [nEmbd, nFf],
  down_proj: [nFf, nEmbd],
};
const ggName = {
  q_proj: 'attn_q',
  k_proj: 'attn_k',
  v_proj: 'attn_v',
  o_proj: 'attn_output',
  gate_proj: 'ffn_gate',
  up_proj: 'ffn_up',
  down_proj: 'ffn_down',
};

/** A minimal GGUF v3 writer for the base models (F32 tensors), separate from src/core. */
function writeGguf(path, kv, tensors) {
  const chunks = [];
  const num = (size, put) => {
    const b = Buffer.alloc(size);
    put(b);
    chunks.push(b);
  };
  const u32 = (x) => num(4, (b) => b.writeUInt32LE(x));
  const u64 = (x) => num(8, (b) => b.writeBigUInt64LE(BigInt(x)));
  const str = (s) => {
    const b = Buffer.from(s, 'utf8');
    u64(b.length);
    chunks.push(b);
  };
  const put = {
    str: (v) => (u32(8), str(v)),
    u32: (v) => (u32(4), u32(v)),
    f32: (v) => (u32(6), num(4, (b) => b.writeFloatLE(v))),
    astr: (v) => (u32(9), u32(8), u64(v.length), v.forEach(str)),
    af32: (v) => (
      u32(9),
      u32(6),
      u64(v.length),
      v.forEach((x) => num(4, (b) => b.writeFloatLE(x)))
    ),
    ai32: (v) => (
      u32(9),
      u32(5),
      u64(v.length),
      v.forEach((x) => num(4, (b) => b.writeInt32LE(x)))
    ),
  };
  chunks.push(Buffer.from('GGUF'));
  u32(3);
  u64(tensors.length);
  u64(Object.keys(kv).length);
  for (const [k, [t, v]] of Object.entries(kv)) {
    str(k);
    put[t](v);
  }
  let off = 0;
  const offs = [];
  for (const t of tensors) {
    str(t.name);
    u32(t.ne.length);
    t.ne.forEach(u64);
    u32(0);
    u64(off);
    offs.push(off);
    off += Math.ceil((t.data.length * 4) / 32) * 32;
  }
  const head = Buffer.concat(chunks);
  const data = Buffer.alloc(off);
  tensors.forEach((t, i) => Buffer.from(t.data.buffer).copy(data, offs[i]));
  writeFileSync(
    path,
    Buffer.concat([head, Buffer.alloc(Math.ceil(head.length / 32) * 32 - head.length), data]),
  );
}

/** convert_hf_to_gguf.py's permute: w.reshape(n, 2, rows//n//2, cols).swapaxes(1, 2).reshape(rows, cols). */
function permute(w, rows, cols, n) {
  const d = rows / n;
  const out = new Float32Array(w.length);
  let k = 0;
  for (let h = 0; h < n; h++)
    for (let j = 0; j < d / 2; j++)
      for (let s = 0; s < 2; s++)
        for (let c = 0; c < cols; c++) out[k++] = w[(h * d + s * (d / 2) + j) * cols + c];
  return out;
}

// Hugging Face layout: weights [out, in]; LoRA A [r, in], B [out, r].
const W = [];
const lora = [];
for (let l = 0; l < nLayer; l++) {
  W.push({});
  lora.push({});
  for (const [m, [i, o]] of Object.entries(dims)) {
    W[l][m] = randn(o * i, 0.15);
    lora[l][m] = { A: randn(r * i, 0.1), B: randn(o * r, 0.1) };
  }
}
const norms = () => Float32Array.from({ length: nEmbd }, () => 1 + rnd() * 0.2);
const emb = randn(nVocab * nEmbd, 0.5);
const outW = randn(nVocab * nEmbd, 0.3);
const outNorm = norms();
const layerNorms = Array.from({ length: nLayer }, () => [norms(), norms(), norms(), norms()]);

function merged(l, m) {
  const [i, o] = dims[m];
  const { A, B } = lora[l][m];
  const w = Float32Array.from(W[l][m]);
  for (let a = 0; a < o; a++)
    for (let b = 0; b < i; b++) {
      let s = 0;
      for (let k = 0; k < r; k++) s += B[a * r + k] * A[k * i + b];
      w[a * i + b] += scale * s;
    }
  return w;
}

function writeBase(path, withLora) {
  const tokens = [
    '<unk>',
    '<s>',
    '</s>',
    ...Array.from(
      { length: 256 },
      (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`,
    ),
  ];
  const kv = {
    'general.architecture': ['str', arch],
    'general.type': ['str', 'model'],
    [`${arch}.context_length`]: ['u32', 128],
    [`${arch}.embedding_length`]: ['u32', nEmbd],
    [`${arch}.block_count`]: ['u32', nLayer],
    [`${arch}.feed_forward_length`]: ['u32', nFf],
    [`${arch}.attention.head_count`]: ['u32', nHead],
    [`${arch}.attention.head_count_kv`]: ['u32', nKv],
    [`${arch}.attention.layer_norm_rms_epsilon`]: ['f32', 1e-5],
    [`${arch}.rope.freq_base`]: ['f32', 10000],
    'tokenizer.ggml.model': ['str', 'llama'],
    'tokenizer.ggml.tokens': ['astr', tokens],
    'tokenizer.ggml.scores': ['af32', tokens.map(() => 0)],
    'tokenizer.ggml.token_type': ['ai32', tokens.map((_, i) => (i === 0 ? 2 : i < 3 ? 3 : 6))],
    'tokenizer.ggml.bos_token_id': ['u32', 1],
    'tokenizer.ggml.eos_token_id': ['u32', 2],
    'tokenizer.ggml.unknown_token_id': ['u32', 0],
  };
  if (arch === 'gemma2') {
    Object.assign(kv, {
      'gemma2.attention.key_length': ['u32', hd],
      'gemma2.attention.value_length': ['u32', hd],
      'gemma2.attn_logit_softcapping': ['f32', 50],
      'gemma2.final_logit_softcapping': ['f32', 30],
      'gemma2.attention.sliding_window': ['u32', 4096],
    });
  }
  const tensors = [
    { name: 'token_embd.weight', ne: [nEmbd, nVocab], data: emb },
    { name: 'output_norm.weight', ne: [nEmbd], data: outNorm },
  ];
  if (arch === 'llama') tensors.push({ name: 'output.weight', ne: [nEmbd, nVocab], data: outW });
  for (let l = 0; l < nLayer; l++) {
    const [an, fn, pan, pfn] = layerNorms[l];
    tensors.push({ name: `blk.${l}.attn_norm.weight`, ne: [nEmbd], data: an });
    tensors.push({ name: `blk.${l}.ffn_norm.weight`, ne: [nEmbd], data: fn });
    if (arch === 'gemma2') {
      tensors.push({ name: `blk.${l}.post_attention_norm.weight`, ne: [nEmbd], data: pan });
      tensors.push({ name: `blk.${l}.post_ffw_norm.weight`, ne: [nEmbd], data: pfn });
    }
    for (const [m, [i, o]] of Object.entries(dims)) {
      let w = withLora ? merged(l, m) : W[l][m];
      if (arch === 'llama' && m === 'q_proj') w = permute(w, o, i, nHead);
      if (arch === 'llama' && m === 'k_proj') w = permute(w, o, i, nKv);
      tensors.push({ name: `blk.${l}.${ggName[m]}.weight`, ne: [i, o], data: w });
    }
  }
  writeGguf(path, kv, tensors);
}

writeBase(join(dir, 'base.gguf'), false);
writeBase(join(dir, 'merged.gguf'), true);

const names = Object.keys(dims);
const modules = {};
for (const [m, [i, o]] of Object.entries(dims)) {
  const A = new Float32Array(nLayer * r * i);
  const B = new Float32Array(nLayer * o * r);
  for (let l = 0; l < nLayer; l++) {
    A.set(lora[l][m].A, l * r * i);
    B.set(lora[l][m].B, l * o * r);
  }
  modules[m] = { loraA: A, loraB: B, layers: nLayer, rank: r, inFeatures: i, outFeatures: o };
}
const manifest = {
  format: 't2l-package',
  version: 1,
  source: 'verify-gguf-llamacpp',
  baseModel: arch === 'gemma2' ? 'google/gemma-2-2b-it' : 'acme/tiny-llama',
  variant: 'M',
  layers: nLayer,
  rank: r,
  modules: names.map((name) => ({ name, inFeatures: dims[name][0], outFeatures: dims[name][1] })),
  moduleOrder: names,
  precision: 'fp32',
  encoder: 'none',
  createdBy: 'verify-gguf-llamacpp',
  adapterConfig: { r, lora_alpha: alpha, use_rslora: true, target_modules: names },
};
const nHeadOption = headFlag > 0 ? Number(process.argv[headFlag + 1]) : nHead;
writeFileSync(
  join(dir, 'adapter.gguf'),
  adapterGguf(
    manifest,
    { modules },
    { dtype, ...(arch === 'llama' ? { gguf: { arch, nHead: nHeadOption, nKvHead: nKv } } : {}) },
  ),
);

const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
const tokens = [1, 40, 77, 120, 200, 33, 90, 150, 250, 9];
async function logits(modelPath, adapter) {
  const model = await llama.loadModel({ modelPath });
  const ctx = await model.createContext({ contextSize: 64, ...(adapter ? { lora: adapter } : {}) });
  const input = tokens.map((t, i) =>
    i === tokens.length - 1 ? [t, { generateNext: { logits: true } }] : t,
  );
  const out = await ctx.getSequence().controlledEvaluate(input);
  const v = new Float32Array(nVocab);
  for (const [tok, val] of out[tokens.length - 1].next.logits) v[tok] = val;
  await ctx.dispose();
  await model.dispose();
  return v;
}
const base = await logits(join(dir, 'base.gguf'));
const withAdapter = await logits(join(dir, 'base.gguf'), join(dir, 'adapter.gguf'));
const reference = await logits(join(dir, 'merged.gguf'));
const maxDiff = (a, b) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
console.log(
  JSON.stringify({
    arch,
    dtype,
    nHead: nHeadOption,
    'max |logit|': reference.reduce((m, x) => Math.max(m, Math.abs(x)), 0),
    'LoRA effect (base vs merged)': maxDiff(base, reference),
    'base + GGUF LoRA vs merged': maxDiff(withAdapter, reference),
  }),
);
await llama.dispose();
