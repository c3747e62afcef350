/**
 * What a GGUF LoRA adapter for a base model needs to know about it: llama.cpp's architecture, the
 * head counts its q/k row permutation uses, that permutation itself, and PEFT's LoRA scale (which
 * becomes GGUF's alpha). See gguf.ts for the file format and why each of these matters.
 */
import { T2LError } from '../errors';

export type GgufArch = 'llama' | 'gemma2';

export interface BaseModelInfo {
  arch: GgufArch;
  /** num_attention_heads */
  nHead: number;
  /** num_key_value_heads */
  nKvHead: number;
  /** Not a real model: the random demo models of `npm run fixtures`. */
  demo?: boolean;
}

/**
 * Base models of the released T2L checkpoints, from their `config.json`, matched case-insensitively
 * on the last path component of `base_model_name_or_path` (so local copies match too).
 */
export const KNOWN_BASE_MODELS: Record<string, BaseModelInfo> = {
  'mistral-7b-instruct-v0.2': { arch: 'llama', nHead: 32, nKvHead: 8 },
  'llama-3.1-8b-instruct': { arch: 'llama', nHead: 32, nKvHead: 8 },
  'meta-llama-3.1-8b-instruct': { arch: 'llama', nHead: 32, nKvHead: 8 },
  'gemma-2-2b-it': { arch: 'gemma2', nHead: 8, nKvHead: 4 },
  // The random demo models (models/demo): lets the app and CLI exercise GGUF export offline.
  'tiny-demo-base': { arch: 'llama', nHead: 4, nKvHead: 1, demo: true },
};

/** Overrides for base models the table does not know (CLI: --arch, --n-head, --n-kv-head). */
export interface GgufTargetOptions {
  arch?: GgufArch;
  nHead?: number;
  nKvHead?: number;
}

export interface GgufTarget {
  arch: GgufArch;
  nHead?: number;
  nKvHead?: number;
  /** Whether q_proj/k_proj rows are permuted into llama.cpp's rotary layout. */
  permuteQK: boolean;
}

export function lookupBaseModel(baseModel: string): BaseModelInfo | undefined {
  const key = baseModel
    .replace(/[\\/]+$/, '')
    .split(/[\\/]/)
    .pop()!
    .toLowerCase();
  return Object.hasOwn(KNOWN_BASE_MODELS, key) ? KNOWN_BASE_MODELS[key] : undefined;
}

const isPositiveInt = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

/**
 * Which llama.cpp architecture and head counts a GGUF for `baseModel` needs: the table above, with
 * explicit options taking precedence. Refuses what it cannot know, naming the option to pass.
 */
export function resolveGgufTarget(
  baseModel: string,
  modules: readonly string[],
  options: GgufTargetOptions = {},
): GgufTarget {
  const known = lookupBaseModel(baseModel);
  if (options.arch !== undefined && options.arch !== 'llama' && options.arch !== 'gemma2') {
    throw new T2LError(
      'bad-input',
      `GGUF: unsupported architecture "${String(options.arch)}" (supported: llama for Llama and Mistral, gemma2 for Gemma-2)`,
    );
  }
  for (const k of ['nHead', 'nKvHead'] as const) {
    if (options[k] !== undefined && !isPositiveInt(options[k])) {
      throw new T2LError(
        'bad-input',
        `GGUF: ${k === 'nHead' ? '--n-head' : '--n-kv-head'} must be a positive integer, found ${options[k]}`,
      );
    }
  }
  const arch = options.arch ?? known?.arch;
  if (arch === undefined) {
    throw new T2LError(
      'unsupported',
      `GGUF: base model "${baseModel}" is not one t2l-web knows; pass its llama.cpp architecture ` +
        `(--arch llama for Llama/Mistral, --arch gemma2 for Gemma-2), and for llama also ` +
        `--n-head and --n-kv-head (num_attention_heads, num_key_value_heads in its config.json)`,
    );
  }
  // Head counts only matter where they are used: llama's q/k permutation.
  const sameArch = known !== undefined && known.arch === arch;
  const nHead = options.nHead ?? (sameArch ? known.nHead : undefined);
  const nKvHead = options.nKvHead ?? (sameArch ? known.nKvHead : undefined);
  const permuteQK = arch === 'llama';
  if (permuteQK) {
    const need: string[] = [];
    if (modules.includes('q_proj') && nHead === undefined) need.push('--n-head');
    if (modules.includes('k_proj') && nKvHead === undefined) need.push('--n-kv-head');
    if (need.length > 0) {
      throw new T2LError(
        'unsupported',
        `GGUF: llama.cpp permutes q_proj/k_proj rows of llama-arch models by attention head, and the ` +
          `head counts of "${baseModel}" are unknown; pass ${need.join(' and ')} ` +
          `(num_attention_heads / num_key_value_heads in its config.json)`,
      );
    }
  }
  return {
    arch,
    ...(nHead !== undefined ? { nHead } : {}),
    ...(nKvHead !== undefined ? { nKvHead } : {}),
    permuteQK,
  };
}

/**
 * The row order llama.cpp's converter gives a [rows, ...] q/k weight: new row `h·d + 2j + s` is old
 * row `h·d + s·d/2 + j` (d = rows / nHeads, j < d/2, s ∈ {0, 1}). Returns old-row indices.
 */
export function rotaryRowOrder(rows: number, nHeads: number): Int32Array {
  if (!isPositiveInt(nHeads) || rows % (2 * nHeads) !== 0) {
    throw new T2LError(
      'bad-shape',
      `GGUF: ${rows} rows do not split into ${nHeads} heads of even size; check the head count`,
    );
  }
  const d = rows / nHeads;
  const half = d / 2;
  const order = new Int32Array(rows);
  for (let h = 0; h < nHeads; h++) {
    for (let j = 0; j < half; j++) {
      for (let s = 0; s < 2; s++) order[h * d + 2 * j + s] = h * d + s * half + j;
    }
  }
  return order;
}

/** Rows of a row-major [rows, cols] matrix, reordered: out row i = in row order[i]. */
export function permuteRows(m: Float32Array, cols: number, order: Int32Array): Float32Array {
  const out = new Float32Array(m.length);
  for (let i = 0; i < order.length; i++) {
    out.set(m.subarray(order[i]! * cols, (order[i]! + 1) * cols), i * cols);
  }
  return out;
}

/**
 * PEFT's LoRA scale from adapter_config.json: `lora_alpha / sqrt(r)` with `use_rslora`, else
 * `lora_alpha / r`. Refuses what one GGUF alpha cannot express (alpha_pattern, rank_pattern).
 */
export function peftLoraScale(config: Record<string, unknown>): number {
  const alpha = config['lora_alpha'];
  const r = config['r'];
  if (typeof alpha !== 'number' || !(alpha > 0) || !isPositiveInt(r)) {
    throw new T2LError(
      'bad-config',
      `GGUF: adapter_config.json needs a positive lora_alpha and r, found lora_alpha=${JSON.stringify(alpha)}, r=${JSON.stringify(r)}`,
    );
  }
  for (const k of ['alpha_pattern', 'rank_pattern']) {
    const p = config[k];
    if (p !== undefined && p !== null && (typeof p !== 'object' || Object.keys(p).length > 0)) {
      throw new T2LError(
        'unsupported',
        `GGUF: adapter_config.json has a non-empty ${k}; a GGUF adapter has one alpha for every module`,
      );
    }
  }
  return config['use_rslora'] === true ? alpha / Math.sqrt(r) : alpha / r;
}
