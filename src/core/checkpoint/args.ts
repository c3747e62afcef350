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
  /** Everything args.yaml held, for the package manifest. */
  raw: Record<string, unknown>;
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
});

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
 * the key, what was expected and what was found.
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
    raw: raw as Record<string, unknown>,
  };
}
