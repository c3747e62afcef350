import { parse } from 'yaml';
import { z } from 'zod';
import { T2LError } from '../errors';
import { hubModelId, parseWithSchema } from '../schema';

/** The training arguments that change the forward pass (args.yaml of a T2L checkpoint). */
export interface T2LArgs {
  sharedABHead: boolean;
  autoregGen: boolean;
  learnablePosEmb: boolean;
  latentSize: number | undefined;
  headInSize: number | undefined;
  encoderType: string;
  trainingTask: 'sft' | 'recon';
  predZScore: boolean;
  factorized: boolean;
  /** delta_w_scaling (> 0): a recon checkpoint's outputs are divided by it (or its square root). */
  deltaWScaling: number;
  targetModules: string[] | undefined;
  embModel: string | undefined;
  modelDir: string | undefined;
  /** mt_lora_path: set when trained from a multi-task LoRA (the heads then have no bias). */
  mtLoraPath: string | undefined;
  /** Everything args.yaml held, for the package manifest. */
  raw: Record<string, unknown>;
  /** Keys the reference does not know, each with the nearest key it does (for the user). */
  warnings: string[];
}

const flag = z.boolean().nullish();
const positiveInt = z.number().int().positive().nullish();

/**
 * The keys of args.yaml t2l-web reads (the reference's argparse namespace, saved by
 * save_hypermod_checkpoint); other keys pass through. `null` means "not set", as in the reference.
 */
export const argsSchema = z.looseObject({
  shared_AB_head: flag,
  autoreg_gen: flag,
  learnable_pos_emb: flag,
  pred_z_score: flag,
  factorized: flag,
  hypernet_latent_size: positiveInt,
  head_in_size: positiveInt,
  encoder_type: z.string().nullish(),
  delta_w_scaling: z.number().positive().nullish(),
  target_modules: z.array(z.string().min(1)).min(1).nullish(),
  emb_model: hubModelId.nullish(),
  model_dir: z.string().nullish(),
  training_task: z.string().nullish(),
  mt_lora_path: z.string().nullish(),
});

/**
 * Every key the reference writes to args.yaml: the fields of its TrainingArguments dataclass
 * (SakanaAI/text-to-lora, src/hyper_llm_modulator/configs.py), saved with vars(args), plus the
 * three its training scripts add before saving (scripts/train_custom_sft.py and
 * train_hyper_recon.py: run_name, save_dir, use_hypernet).
 */
export const REFERENCE_ARGS: readonly string[] = [
  'config',
  'training_task',
  'model_dir',
  'emb_model',
  'exp_setup',
  'sft_mode',
  'equally_weight_sample',
  'train_ds_names',
  'n_train_ds',
  'n_descs_per_ds',
  'inp_max_len',
  'target_modules',
  'shared_AB_head',
  'autoreg_gen',
  'learnable_pos_emb',
  'learnable_AB_offset',
  'hypernet_latent_size',
  'head_in_size',
  'head_use_bias',
  'use_per_task_emb',
  'use_one_hot_task_emb',
  'use_inp_as_desc',
  'use_per_sample_desc',
  'use_default_desc',
  'n_points_per_task',
  'use_hierarchical_sampler',
  'also_val_on_train',
  'lr',
  'l2_reg_generated_w',
  'weight_decay',
  'label_smoothing',
  'grad_accum_steps',
  'epochs',
  'batch_size',
  'val_batch_size',
  'warmup_frac',
  'neftune_noise_alpha',
  'max_grad_norm',
  'logging_freq',
  'val_freq',
  'model_watch_freq',
  'save_freq',
  'seed',
  'debug',
  'notes',
  'keep_only_best',
  'skip_eval',
  'eval_ds_info',
  'additional_eval_descs',
  'save_to_base_model_dir',
  'n_tasks_per_batch',
  'mt_lora_path',
  'encoder_type',
  'n_embs_per_sampled_task',
  'pred_z_score',
  'factorized',
  'delta_w_scaling',
  'run_name',
  'save_dir',
  'use_hypernet',
];

/** Edit distance (insert, delete, substitute; case differences count) between two short keys. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        prev[j]! + 1,
        row[j - 1]! + 1,
        prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = row;
  }
  return prev[b.length]!;
}

/** The known key nearest to `key` (ties: the first in REFERENCE_ARGS), and how far it is. */
export function nearestArg(key: string): { key: string; distance: number } {
  let best = { key: REFERENCE_ARGS[0]!, distance: Infinity };
  for (const k of REFERENCE_ARGS) {
    const distance = editDistance(key.toLowerCase(), k.toLowerCase());
    if (distance < best.distance) best = { key: k, distance };
  }
  return best;
}

/**
 * One warning per key of args.yaml the reference does not know, naming the nearest known key: as
 * a likely typo when it is a few edits away (then, if that key is absent, its default applies).
 */
function unknownKeys(raw: Record<string, unknown>, file: string): string[] {
  return Object.keys(raw)
    .filter((k) => !REFERENCE_ARGS.includes(k))
    .map((k) => {
      const near = nearestArg(k);
      if (near.distance > Math.max(2, Math.floor(k.length / 3))) {
        return `${file}: unknown key ${k} (the nearest known key is ${near.key}); the reference never reads it`;
      }
      const absent = near.key in raw ? '' : `, so ${near.key} takes its default`;
      return `${file}: unknown key ${k} (did you mean ${near.key}?); the reference never reads it${absent}`;
    });
}

/**
 * YAML aliases may not expand into more than this many nodes (a "billion laughs" document is a
 * few hundred bytes that expand exponentially); real args.yaml files have none.
 */
export const MAX_YAML_ALIASES = 100;

/** Largest config file (args.yaml, adapter_config.json, t2l.json) read, in bytes. */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/**
 * Parses args.yaml as the reference does (PyYAML's yaml.safe_load: YAML 1.1, so `yes`/`no` are
 * booleans), then checks the keys t2l-web uses. Errors (bad-config, unsupported) name the file,
 * the key, what was expected and what was found. Keys the reference does not know (a typo such
 * as `pred_zscore`) are listed in `warnings` with the nearest known key: their defaults apply.
 */
export function parseArgsYaml(text: string, file = 'args.yaml'): T2LArgs {
  let raw: unknown;
  try {
    raw = parse(text, { version: '1.1', maxAliasCount: MAX_YAML_ALIASES, uniqueKeys: false });
  } catch (e) {
    throw new T2LError('bad-config', `${file}: not valid YAML (${(e as Error).message})`, {
      cause: e,
    });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new T2LError('bad-config', `${file}: expected a mapping of training arguments`);
  }
  const a = parseWithSchema(argsSchema, raw, file, 'bad-config');
  const task = a.training_task ?? 'sft';
  if (task !== 'sft' && task !== 'recon') {
    throw new T2LError(
      'unsupported',
      `${file}: training_task ${JSON.stringify(task)} is not supported (expected sft or recon)`,
    );
  }
  return {
    sharedABHead: a.shared_AB_head ?? false,
    autoregGen: a.autoreg_gen ?? false,
    learnablePosEmb: a.learnable_pos_emb ?? false,
    latentSize: a.hypernet_latent_size ?? undefined,
    headInSize: a.head_in_size ?? undefined,
    encoderType: a.encoder_type ?? 'linear',
    trainingTask: task,
    predZScore: a.pred_z_score ?? false,
    factorized: a.factorized ?? false,
    deltaWScaling: a.delta_w_scaling ?? 10000,
    targetModules: a.target_modules ?? undefined,
    embModel: a.emb_model ?? undefined,
    modelDir: a.model_dir ?? undefined,
    mtLoraPath: a.mt_lora_path ?? undefined,
    raw: raw as Record<string, unknown>,
    warnings: unknownKeys(raw as Record<string, unknown>, file),
  };
}
