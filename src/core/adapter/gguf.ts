/**
 * One generated adapter as a GGUF LoRA adapter for llama.cpp (`--lora`) and Ollama (`ADAPTER`).
 *
 * The layout is the one llama.cpp's `convert_lora_to_gguf.py` writes and `src/llama-adapter.cpp`
 * loads (format details taken from llama.cpp's sources: `gguf-py/gguf/gguf_writer.py`,
 * `gguf-py/gguf/constants.py`, `ggml/src/gguf.cpp`, `src/llama-adapter.{h,cpp}`,
 * `src/llama-graph.cpp` `build_lora_mm`, and the converters for the `llama` and `gemma2` archs);
 * the file layout itself is written by gguf-writer.ts.
 *
 * llama.cpp requires `general.type = "adapter"`, `adapter.type = "lora"`, and `general.architecture`
 * equal to the base model's; it reads `adapter.lora.alpha` (f32). Each LoRA'd weight `<w>` (e.g.
 * `blk.0.attn_q.weight`) has tensors `<w>.lora_a` and `<w>.lora_b`, checked against the base weight:
 * `lora_a.ne = [in, r]` (PyTorch `lora_A` [r, in], same bytes) and `lora_b.ne = [r, out]` (PyTorch
 * `lora_B` [out, r], same bytes). The update is `W·x + s·B·(A·x)` with `s = alpha / r`,
 * `r = lora_b.ne[0]`.
 *
 * Two things differ from the PEFT adapter and are carried over here:
 *
 * 1. Scale. PEFT with `use_rslora` scales by `lora_alpha / sqrt(r)`, llama.cpp by `alpha / r`. We
 *    write `alpha' = peft_scale · r` (= `lora_alpha · sqrt(r)` with rsLoRA), so `alpha' / r` is
 *    PEFT's scale and the effective update is unchanged.
 * 2. Rotary layout. For `llama`-arch models (Llama and Mistral), llama.cpp's `convert_hf_to_gguf.py`
 *    permutes the rows of `q_proj` (with n_head) and `k_proj` (with n_head_kv) inside each head:
 *    `w.reshape(n, 2, rows/n/2, cols).swapaxes(1, 2).reshape(rows, cols)`, turning Hugging Face's
 *    rotate-half pairs (i, i + d/2) into the adjacent pairs (2i, 2i + 1) llama.cpp's rotary embedding
 *    uses. The base GGUF has permuted q/k weights, so a LoRA update must be permuted the same way:
 *    the permutation acts on output rows, i.e. on the rows of `lora_B` (A is untouched), which is
 *    what the LoRA converter does too. `gemma2` keeps Hugging Face's layout (no permutation).
 */
import { T2LError } from '../errors';
import { peftLoraScale, permuteRows, rotaryRowOrder, type GgufTarget } from './gguf-target';
import { writeGguf, type GgufDType, type GgufKV, type GgufTensorIn } from './gguf-writer';
import type { ModuleLora } from './peft';

export { GGUF_ALIGNMENT, GGUF_MAGIC, GGUF_VERSION, type GgufDType } from './gguf-writer';

/** GGML_QNT_VERSION, which the converter writes as `general.quantization_version`. */
export const GGML_QUANT_VERSION = 2;

/** Hugging Face module name → llama.cpp tensor name inside `blk.<i>.` (gguf-py tensor_mapping). */
export const GGUF_TENSOR_NAMES: Record<string, string> = {
  q_proj: 'attn_q',
  k_proj: 'attn_k',
  v_proj: 'attn_v',
  o_proj: 'attn_output',
  gate_proj: 'ffn_gate',
  up_proj: 'ffn_up',
  down_proj: 'ffn_down',
};

export interface GgufAdapterInput {
  /** Per module, A [L, r, in] and B [L, out, r], row-major (as generated). */
  modules: Record<string, ModuleLora>;
  moduleOrder: string[];
  /** The checkpoint's adapter_config.json (lora_alpha, r, use_rslora). */
  adapterConfig: Record<string, unknown>;
  baseModel: string;
  target: GgufTarget;
  dtype?: GgufDType;
  /** general.name */
  name?: string;
  /** general.description */
  description?: string;
  /** Extra string metadata (e.g. t2l.* provenance); may not replace the keys llama.cpp reads. */
  metadata?: Record<string, string>;
}

/** The llama.cpp tensor name of one LoRA matrix. */
export function ggufTensorName(layer: number, module: string, which: 'a' | 'b'): string {
  const t = GGUF_TENSOR_NAMES[module];
  if (t === undefined) {
    throw new T2LError(
      'unsupported',
      `GGUF: no llama.cpp tensor for target module ${module} (supported: ${Object.keys(GGUF_TENSOR_NAMES).join(', ')})`,
    );
  }
  return `blk.${layer}.${t}.weight.lora_${which}`;
}

/** The llama.cpp `adapter.lora.alpha` that gives PEFT's effective scale at rank r. */
export function ggufAlpha(adapterConfig: Record<string, unknown>, rank: number): number {
  return peftLoraScale(adapterConfig) * rank;
}

/** Serializes one adapter as a GGUF v3 LoRA file. */
export function buildGgufAdapter(input: GgufAdapterInput): Uint8Array {
  const { modules, moduleOrder, target } = input;
  const dtype = input.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'float16') {
    throw new T2LError(
      'bad-input',
      `GGUF: element type must be float32 or float16, found ${String(dtype)}`,
    );
  }
  if (moduleOrder.length === 0 || moduleOrder.some((m) => !(m in modules))) {
    throw new T2LError(
      'bad-input',
      `GGUF: module order [${moduleOrder.join(', ')}] must name generated modules [${Object.keys(modules).join(', ')}]`,
    );
  }
  const first = modules[moduleOrder[0]!]!;
  for (const name of moduleOrder) {
    const m = modules[name]!;
    if (m.rank !== first.rank || m.layers !== first.layers) {
      throw new T2LError(
        'bad-shape',
        `GGUF: module ${name} has ${m.layers} layers of rank ${m.rank}, expected ${first.layers} of rank ${first.rank} like ${moduleOrder[0]}`,
      );
    }
    if (
      m.loraA.length !== m.layers * m.rank * m.inFeatures ||
      m.loraB.length !== m.layers * m.outFeatures * m.rank
    ) {
      throw new T2LError(
        'bad-shape',
        `GGUF: module ${name}: lora_A/lora_B sizes do not match its shape`,
      );
    }
  }
  const alpha = ggufAlpha(input.adapterConfig, first.rank);

  // Row orders for the permuted modules (llama: q with n_head, k with n_head_kv).
  const orders = new Map<string, Int32Array>();
  if (target.permuteQK) {
    for (const [name, heads] of [
      ['q_proj', target.nHead],
      ['k_proj', target.nKvHead],
    ] as const) {
      const m = modules[name];
      if (m === undefined || !moduleOrder.includes(name)) continue;
      if (heads === undefined) {
        throw new T2LError('bad-input', `GGUF: ${name} needs a head count to be permuted`);
      }
      orders.set(name, rotaryRowOrder(m.outFeatures, heads));
    }
  }

  const kvs: GgufKV[] = [
    { key: 'general.architecture', type: 'string', value: target.arch },
    { key: 'general.type', type: 'string', value: 'adapter' },
    { key: 'adapter.type', type: 'string', value: 'lora' },
  ];
  if (input.name) kvs.push({ key: 'general.name', type: 'string', value: input.name });
  if (input.description) {
    kvs.push({ key: 'general.description', type: 'string', value: input.description });
  }
  kvs.push(
    { key: 'general.base_model.count', type: 'u32', value: 1 },
    { key: 'general.base_model.0.name', type: 'string', value: input.baseModel },
    { key: 'adapter.lora.alpha', type: 'f32', value: alpha },
    { key: 'general.quantization_version', type: 'u32', value: GGML_QUANT_VERSION },
  );
  for (const [key, value] of Object.entries(input.metadata ?? {})) {
    if (kvs.some((kv) => kv.key === key) || key === 'general.alignment' || key.length === 0) {
      throw new T2LError('bad-input', `GGUF: metadata key "${key}" is reserved or repeated`);
    }
    if (typeof value !== 'string') {
      throw new T2LError('bad-input', `GGUF: metadata ${key} must be a string`);
    }
    kvs.push({ key, type: 'string', value });
  }

  // Tensors: layer by layer, modules in order, lora_a then lora_b (the pairing the converter's
  // parameter count expects). ne is innermost-first.
  const tensors: GgufTensorIn[] = [];
  for (let l = 0; l < first.layers; l++) {
    for (const name of moduleOrder) {
      const m = modules[name]!;
      const a = m.rank * m.inFeatures;
      const b = m.outFeatures * m.rank;
      const loraB = m.loraB.subarray(l * b, (l + 1) * b);
      const order = orders.get(name);
      tensors.push({
        name: ggufTensorName(l, name, 'a'),
        ne: [m.inFeatures, m.rank],
        data: m.loraA.subarray(l * a, (l + 1) * a),
        dtype,
      });
      tensors.push({
        name: ggufTensorName(l, name, 'b'),
        ne: [m.rank, m.outFeatures],
        data: order ? permuteRows(loraB, m.rank, order) : loraB,
        dtype,
      });
    }
  }
  return writeGguf(kvs, tensors);
}
