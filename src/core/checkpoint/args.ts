import { parse } from 'yaml';
import { T2LError } from '../errors';

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
  deltaWScaling: number;
  targetModules: string[] | undefined;
  embModel: string | undefined;
  modelDir: string | undefined;
  /** Everything args.yaml held, for the package manifest. */
  raw: Record<string, unknown>;
}

function bool(raw: Record<string, unknown>, key: string, file: string, fallback = false): boolean {
  const v = raw[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') {
    throw new T2LError(
      'bad-config',
      `${file}: ${key} must be true or false, found ${JSON.stringify(v)}`,
    );
  }
  return v;
}

function optNumber(raw: Record<string, unknown>, key: string, file: string): number | undefined {
  const v = raw[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new T2LError(
      'bad-config',
      `${file}: ${key} must be a number, found ${JSON.stringify(v)}`,
    );
  }
  return v;
}

function optString(raw: Record<string, unknown>, key: string, file: string): string | undefined {
  const v = raw[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') {
    throw new T2LError(
      'bad-config',
      `${file}: ${key} must be a string, found ${JSON.stringify(v)}`,
    );
  }
  return v;
}

export function parseArgsYaml(text: string, file = 'args.yaml'): T2LArgs {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (e) {
    throw new T2LError('bad-config', `${file}: not valid YAML (${(e as Error).message})`, {
      cause: e,
    });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new T2LError('bad-config', `${file}: expected a mapping of training arguments`);
  }
  const r = raw as Record<string, unknown>;
  const task = r['training_task'] ?? 'sft';
  if (task !== 'sft' && task !== 'recon') {
    throw new T2LError(
      'unsupported',
      `${file}: training_task ${JSON.stringify(task)} is not supported (expected sft or recon)`,
    );
  }
  const tm = r['target_modules'];
  if (
    tm !== undefined &&
    tm !== null &&
    (!Array.isArray(tm) || !tm.every((m) => typeof m === 'string'))
  ) {
    throw new T2LError('bad-config', `${file}: target_modules must be a list of module names`);
  }
  return {
    sharedABHead: bool(r, 'shared_AB_head', file),
    autoregGen: bool(r, 'autoreg_gen', file),
    learnablePosEmb: bool(r, 'learnable_pos_emb', file),
    latentSize: optNumber(r, 'hypernet_latent_size', file),
    headInSize: optNumber(r, 'head_in_size', file),
    encoderType: optString(r, 'encoder_type', file) ?? 'linear',
    trainingTask: task,
    predZScore: bool(r, 'pred_z_score', file),
    factorized: bool(r, 'factorized', file),
    deltaWScaling: optNumber(r, 'delta_w_scaling', file) ?? 10000,
    targetModules: (tm as string[] | null | undefined) ?? undefined,
    embModel: optString(r, 'emb_model', file),
    modelDir: optString(r, 'model_dir', file),
    raw: r,
  };
}
