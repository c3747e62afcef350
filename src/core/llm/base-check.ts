/**
 * Whether a base model GGUF can take a generated LoRA adapter, checked from headers alone (before a
 * 1.7 GB download finishes, and before llama.cpp fails with a message that reaches JavaScript as a
 * bare RangeError). llama.cpp's adapter loader (`src/llama-adapter.cpp`) insists on the same
 * architecture and, per LoRA'd weight `blk.<l>.<t>.weight` with ne [in, out], on `lora_a` ne
 * [in, r] and `lora_b` ne [r, out]; an adapter for fewer layers would load but change only some.
 */
import { GGUF_TENSOR_NAMES } from '../adapter/gguf';
import { resolveGgufTarget, type GgufTargetOptions } from '../adapter/gguf-target';
import { T2LError } from '../errors';
import type { PackageManifest } from '../package/manifest';
import { metaNumber, metaString, type GgufHeader } from './gguf-header';

/** What an adapter needs from its base model. */
export interface AdapterFacts {
  /** llama.cpp architecture (`general.architecture`): llama, gemma2, … */
  arch: string;
  /** Transformer blocks the adapter covers (`<arch>.block_count` of its base). */
  layers: number;
  /** Hugging Face module names (q_proj, v_proj, …) with their weight's in/out features. */
  modules: Array<{ name: string; inFeatures: number; outFeatures: number }>;
  /** For messages: the base model the adapter was made for. */
  baseModel?: string;
}

/** What the Try panel and `t2l try` need to know about a base model GGUF. */
export interface BaseModelFacts {
  arch: string;
  /** `<arch>.block_count` */
  layers?: number;
  /** general.name */
  name?: string;
  contextLength?: number;
  /** tokenizer.chat_template (Jinja), when the GGUF has one. */
  chatTemplate?: string;
  /** The BOS/EOS tokens' text, for the template's `bos_token` / `eos_token`. */
  bosToken?: string;
  eosToken?: string;
  /**
   * Whether llama.cpp adds BOS when tokenizing with special tokens: tokenizer.ggml.add_bos_token,
   * else true for SPM ("llama") vocabularies, as llama.cpp decides.
   */
  addBos: boolean;
}

/** The facts of a base model from its GGUF header. Throws when it is an adapter or has no arch. */
export function baseModelFacts(h: GgufHeader, source = 'base GGUF'): BaseModelFacts {
  const arch = metaString(h, 'general.architecture');
  if (arch === undefined) {
    throw new T2LError('bad-input', `${source}: no general.architecture; not a llama.cpp model`);
  }
  if (metaString(h, 'general.type') === 'adapter') {
    throw new T2LError(
      'bad-input',
      `${source} is a LoRA adapter (general.type = adapter), not a base model`,
    );
  }
  const tokens = h.metadata.get('tokenizer.ggml.tokens');
  const tokenText = (key: string) => {
    const id = metaNumber(h, key);
    const t = Array.isArray(tokens) && id !== undefined ? tokens[id] : undefined;
    return typeof t === 'string' ? t : undefined;
  };
  const addBosMeta = h.metadata.get('tokenizer.ggml.add_bos_token');
  const facts: BaseModelFacts = {
    arch,
    addBos:
      typeof addBosMeta === 'boolean'
        ? addBosMeta
        : metaString(h, 'tokenizer.ggml.model') === 'llama',
  };
  const opt = {
    layers: metaNumber(h, `${arch}.block_count`),
    name: metaString(h, 'general.name'),
    contextLength: metaNumber(h, `${arch}.context_length`),
    chatTemplate: metaString(h, 'tokenizer.chat_template'),
    bosToken: tokenText('tokenizer.ggml.bos_token_id'),
    eosToken: tokenText('tokenizer.ggml.eos_token_id'),
  };
  for (const [k, v] of Object.entries(opt)) {
    if (v !== undefined) (facts as unknown as Record<string, unknown>)[k] = v;
  }
  return facts;
}

/**
 * The facts of an adapter from its package manifest (GGUF options as for the GGUF export: the
 * llama.cpp architecture comes from the known base models or `gguf.arch`).
 */
export function adapterFactsFromManifest(
  manifest: Pick<PackageManifest, 'baseModel' | 'layers' | 'modules' | 'moduleOrder'>,
  gguf?: GgufTargetOptions,
): AdapterFacts {
  const target = resolveGgufTarget(manifest.baseModel, manifest.moduleOrder, gguf);
  return {
    arch: target.arch,
    layers: manifest.layers,
    modules: manifest.moduleOrder.map((name) => {
      const m = manifest.modules.find((x) => x.name === name);
      if (!m) throw new T2LError('bad-package', `module ${name} is in moduleOrder but not modules`);
      return { name, inFeatures: m.inFeatures, outFeatures: m.outFeatures };
    }),
    baseModel: manifest.baseModel,
  };
}

/**
 * The facts of a GGUF LoRA adapter (as adapterGguf writes it) from its header: architecture,
 * layers (highest block index + 1) and per module the in/out features of `lora_a` / `lora_b`.
 */
export function adapterFactsFromGguf(h: GgufHeader, source = 'adapter GGUF'): AdapterFacts {
  if (metaString(h, 'general.type') !== 'adapter' || metaString(h, 'adapter.type') !== 'lora') {
    throw new T2LError(
      'bad-input',
      `${source} is not a GGUF LoRA adapter (general.type = adapter, adapter.type = lora)`,
    );
  }
  const arch = metaString(h, 'general.architecture');
  if (arch === undefined) throw new T2LError('bad-input', `${source}: no general.architecture`);
  const moduleOf = Object.fromEntries(Object.entries(GGUF_TENSOR_NAMES).map(([k, v]) => [v, k]));
  const modules = new Map<string, { name: string; inFeatures: number; outFeatures: number }>();
  let layers = 0;
  for (const t of h.tensors) {
    const m = /^blk\.(\d+)\.([a-z_]+)\.weight\.lora_([ab])$/.exec(t.name);
    const name = m && moduleOf[m[2]!];
    if (!m || !name || t.ne.length !== 2) {
      throw new T2LError('bad-input', `${source}: unexpected tensor ${t.name}`);
    }
    layers = Math.max(layers, Number(m[1]) + 1);
    const entry = modules.get(name) ?? { name, inFeatures: 0, outFeatures: 0 };
    if (m[3] === 'a') entry.inFeatures = t.ne[0]!;
    else entry.outFeatures = t.ne[1]!;
    modules.set(name, entry);
  }
  const baseModel = metaString(h, 'general.base_model.0.name');
  return {
    arch,
    layers,
    modules: [...modules.values()],
    ...(baseModel !== undefined ? { baseModel } : {}),
  };
}

/**
 * Checks that a base model GGUF fits an adapter: same architecture, same layer count, and for
 * every LoRA'd module and layer a base weight `blk.<l>.<attn_q|attn_v|…>.weight` of ne [in, out].
 * Throws T2LError('bad-shape') naming both sides, e.g. "base GGUF is gemma2 with 26 layers; this
 * adapter is for llama with 32 layers".
 */
export function checkBaseForAdapter(
  base: GgufHeader,
  adapter: AdapterFacts,
  source = 'base GGUF',
): void {
  const facts = baseModelFacts(base, source);
  const forWhat = adapter.baseModel ? ` (made for ${adapter.baseModel})` : '';
  const baseSide = `${source} is ${facts.arch} with ${facts.layers ?? 'an unknown number of'} layers`;
  const adapterSide = `this adapter${forWhat} is for ${adapter.arch} with ${adapter.layers} layers`;
  if (facts.arch !== adapter.arch || facts.layers !== adapter.layers) {
    throw new T2LError('bad-shape', `${baseSide}; ${adapterSide}`);
  }
  const byName = new Map(base.tensors.map((t) => [t.name, t]));
  for (const m of adapter.modules) {
    const t = GGUF_TENSOR_NAMES[m.name];
    if (t === undefined) {
      throw new T2LError('unsupported', `adapter module ${m.name} has no llama.cpp tensor name`);
    }
    for (let l = 0; l < adapter.layers; l++) {
      const name = `blk.${l}.${t}.weight`;
      const w = byName.get(name);
      if (w === undefined) {
        throw new T2LError(
          'bad-shape',
          `${source} has no ${name}; this adapter changes ${m.name} (${m.inFeatures} → ${m.outFeatures}) in every layer`,
        );
      }
      if (w.ne.length !== 2 || w.ne[0] !== m.inFeatures || w.ne[1] !== m.outFeatures) {
        const found =
          w.ne.length === 2 ? `${w.ne[0]} → ${w.ne[1]}` : `of shape [${w.ne.join(', ')}]`;
        throw new T2LError(
          'bad-shape',
          `${source}'s ${name} is ${found}; this adapter's ${m.name} is ${m.inFeatures} → ${m.outFeatures} (in → out features)`,
        );
      }
    }
  }
}
