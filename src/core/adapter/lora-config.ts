/**
 * The adapter_config.json every adapter t2l-web writes: a normalized PEFT LoraConfig built from
 * validated values, never a copy of the checkpoint's file. One rule for every output (PEFT folder,
 * zip, bare safetensors, GGUF, server, app): `peftLoraConfig(manifest)` either returns the config
 * or refuses the model with a T2LError naming the field, and it runs when a model is opened
 * (openModel, readPackage, convertCheckpoint), so a model no consumer could load is refused before
 * anything is generated or written.
 *
 * Defaults are PEFT's LoraConfig defaults (peft src/peft/tuners/lora/config.py: r 8, lora_alpha 8,
 * lora_dropout 0.0, bias "none", use_rslora False, fan_in_fan_out False), which the reference's
 * `LoraConfig.save_pretrained` writes for a field its checkpoint config lacks; peft_type is always
 * "LORA" (LoraConfig.__post_init__ sets it) and task_type "CAUSAL_LM" (the base models are causal
 * LMs; the released checkpoints say so). What the written tensors cannot express is refused:
 * another task type, DoRA, modules_to_save, per-module rank/alpha patterns, a subset of layers,
 * trained biases, fan_in_fan_out (refused by the boundary schema).
 */
import { adapterConfigFrom } from '../checkpoint/adapter-config';
import { T2LError } from '../errors';
import type { PackageManifest } from '../package/manifest';

/** adapter_config.json as written (keys in PEFT's own order). */
export interface PeftLoraConfig {
  peft_type: 'LORA';
  task_type: 'CAUSAL_LM';
  base_model_name_or_path: string;
  revision: null;
  inference_mode: true;
  r: number;
  target_modules: string[];
  lora_alpha: number;
  lora_dropout: number;
  fan_in_fan_out: false;
  bias: 'none';
  use_rslora: boolean;
  modules_to_save: null;
  init_lora_weights: true;
  layers_to_transform: null;
  layers_pattern: null;
  rank_pattern: Record<string, never>;
  alpha_pattern: Record<string, never>;
}

/** PEFT's TaskType values (peft src/peft/utils/peft_types.py). */
const PEFT_TASK_TYPES = [
  'SEQ_CLS',
  'SEQ_2_SEQ_LM',
  'CAUSAL_LM',
  'TOKEN_CLS',
  'QUESTION_ANS',
  'FEATURE_EXTRACTION',
];

/** What of the manifest the config is built from. */
export type LoraConfigSource = Pick<
  PackageManifest,
  'adapterConfig' | 'rank' | 'moduleOrder' | 'baseModel'
>;

const show = (v: unknown) => (v === undefined ? 'nothing' : JSON.stringify(v));

const isEmpty = (v: unknown) =>
  v === undefined ||
  v === null ||
  (Array.isArray(v) && v.length === 0) ||
  (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0);

/**
 * The normalized PEFT LoraConfig of the adapters a model writes, from its manifest: `r` is the
 * graph's rank and `target_modules` the graph's module order (the checkpoint's config must agree),
 * `lora_alpha`/`use_rslora`/`lora_dropout` are the checkpoint's, validated, or PEFT's defaults.
 * Throws T2LError ('bad-config' for a wrong value, 'unsupported' for a feature the adapter cannot
 * carry) naming `file`, the key, what was expected and what was found.
 */
export function peftLoraConfig(
  source: LoraConfigSource,
  file = 'adapter_config.json',
): PeftLoraConfig {
  // Types, ranges and PEFT's defaults: the boundary schema (checkpoint/adapter-config.ts).
  const v = adapterConfigFrom(source.adapterConfig, file);
  const c = v.raw;
  const unsupported = (key: string, why: string) =>
    new T2LError('unsupported', `${file}: ${key} ${show(c[key])}: ${why}`);

  if (v.taskType !== undefined) {
    if (!PEFT_TASK_TYPES.includes(v.taskType)) {
      throw new T2LError(
        'bad-config',
        `${file}: task_type: expected one of PEFT's task types (${PEFT_TASK_TYPES.join(', ')}), found ${show(v.taskType)}`,
      );
    }
    if (v.taskType !== 'CAUSAL_LM') {
      throw unsupported(
        'task_type',
        'T2L generates adapters for causal language models (CAUSAL_LM)',
      );
    }
  }
  if (v.r !== source.rank) {
    throw new T2LError(
      'bad-config',
      `${file}: r is ${v.r} but the hypernetwork generates rank-${source.rank} LoRA matrices`,
    );
  }
  const order = source.moduleOrder;
  const targets = v.targetModules;
  if (
    targets.length !== order.length ||
    new Set(targets).size !== targets.length ||
    !order.every((m) => targets.includes(m))
  ) {
    throw new T2LError(
      'bad-config',
      `${file}: target_modules [${targets.join(', ')}] differ from the hypernetwork's modules [${order.join(', ')}]`,
    );
  }
  if (v.bias !== 'none') {
    throw unsupported(
      'bias',
      'T2L generates lora_A and lora_B only, no biases (vLLM also refuses biased adapters unless started with bias enabled)',
    );
  }
  if (c['use_dora'] !== undefined && c['use_dora'] !== false) {
    throw unsupported('use_dora', 'T2L generates plain LoRA, not DoRA (no magnitude vectors)');
  }
  for (const key of ['modules_to_save', 'rank_pattern', 'alpha_pattern']) {
    if (!isEmpty(c[key])) {
      throw unsupported(
        key,
        key === 'modules_to_save'
          ? 'T2L generates no fully trained modules (vLLM refuses adapters with modules_to_save)'
          : 'every generated module has the same rank and alpha',
      );
    }
  }
  for (const key of ['layers_to_transform', 'layers_pattern']) {
    if (!isEmpty(c[key])) throw unsupported(key, 'T2L generates LoRA matrices for every layer');
  }

  const base = source.baseModel;
  if (typeof base !== 'string' || base.length === 0) {
    throw new T2LError('bad-config', `${file}: no base model (base_model_name_or_path)`);
  }
  return {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    base_model_name_or_path: base.toWellFormed(),
    revision: null,
    inference_mode: true,
    r: v.r,
    target_modules: order.map((m) => m.toWellFormed()),
    lora_alpha: v.loraAlpha,
    lora_dropout: v.loraDropout,
    fan_in_fan_out: false,
    bias: 'none',
    use_rslora: v.useRslora,
    modules_to_save: null,
    init_lora_weights: true,
    layers_to_transform: null,
    layers_pattern: null,
    rank_pattern: {},
    alpha_pattern: {},
  };
}

/**
 * PEFT's effective LoRA scale: `lora_alpha / sqrt(r)` with rsLoRA, else `lora_alpha / r`
 * (peft src/peft/tuners/lora/layer.py update_layer; vLLM PEFTHelper.__post_init__ likewise).
 */
export function loraConfigScale(config: Pick<PeftLoraConfig, 'lora_alpha' | 'r' | 'use_rslora'>) {
  return config.use_rslora ? config.lora_alpha / Math.sqrt(config.r) : config.lora_alpha / config.r;
}

/** adapter_config.json's text: the config as indented JSON, well-formed (see peftLoraConfig). */
export function loraConfigJson(config: PeftLoraConfig): string {
  return JSON.stringify(config, null, 2) + '\n';
}
