import { T2LError, shapeString } from '../errors';
import { numel, type Tensor } from '../tensor';
import type { AdapterConfig } from './adapter-config';
import { REFERENCE_ARGS, nearestArg, type T2LArgs } from './args';

/**
 * L: the head emits A and B at once. M: one head shared by A and B. S: shared head, one rank at a
 * time. autoreg-unshared: one rank at a time, one head emitting a row of A and of Bᵀ together.
 */
export type Variant = 'L' | 'M' | 'S' | 'autoreg-unshared';
export type Positions = 'none' | 'rotary' | 'learned';

export interface ModuleSpec {
  name: string;
  inFeatures: number;
  outFeatures: number;
  /** O_m, the width of heads.<m>. */
  headOut: number;
  headBias: boolean;
}

/** Everything the graph needs to know, all read from the tensors and cross-checked with args.yaml. */
export interface T2LSpec {
  variant: Variant;
  positions: Positions;
  taskEmbSize: number;
  latentSize: number;
  headInSize: number;
  layers: number;
  rank: number;
  /** In module order: index i uses row i of the type embedding. */
  modules: ModuleSpec[];
  trainingTask: 'sft' | 'recon';
  predZScore: boolean;
  factorized: boolean;
  deltaWScaling: number;
  loraAlpha: number;
  useRslora: boolean;
  baseModel: string;
  embModel: string;
  paramCount: number;
}

export const DEFAULT_EMB_MODEL = 'Alibaba-NLP/gte-large-en-v1.5';

export function variantOf(sharedABHead: boolean, autoregGen: boolean): Variant {
  if (sharedABHead) return autoregGen ? 'S' : 'M';
  return autoregGen ? 'autoreg-unshared' : 'L';
}

export function variantFlags(v: Variant): string {
  switch (v) {
    case 'L':
      return 'shared_AB_head: false, autoreg_gen: false';
    case 'M':
      return 'shared_AB_head: true, autoreg_gen: false';
    case 'S':
      return 'shared_AB_head: true, autoreg_gen: true';
    case 'autoreg-unshared':
      return 'shared_AB_head: false, autoreg_gen: true';
  }
}

/** O_m for each variant (the spec's table). */
export function headOutSize(v: Variant, rank: number, inF: number, outF: number): number {
  switch (v) {
    case 'L':
      return rank * (inF + outF);
    case 'M':
      return rank * Math.max(inF, outF);
    case 'S':
      return Math.max(inF, outF);
    case 'autoreg-unshared':
      return inF + outF;
  }
}

export interface DescribeOptions {
  /** Overrides the type-embedding order (default: adapter_config.json's target_modules). */
  moduleOrder?: string[] | undefined;
  /** Names the checkpoint in error messages. */
  label?: string;
  /** State-dict entries left unread for their dtype (readTorchCheckpoint): an error only if needed. */
  skipped?: ReadonlyMap<string, string> | undefined;
}

/** A lookup that names the file, the key and expected vs found shape when something is off. */
export class WeightTable {
  constructor(
    readonly weights: Map<string, Tensor>,
    readonly label: string,
    readonly skipped: ReadonlyMap<string, string> = new Map(),
  ) {}

  has(key: string): boolean {
    return this.weights.has(key);
  }

  get(key: string, expected?: readonly (number | undefined)[]): Tensor {
    const t = this.weights.get(key);
    if (!t) {
      const storage = this.skipped.get(key);
      if (storage !== undefined) {
        throw new T2LError(
          'unsupported',
          `${this.label}: tensor "${key}" is stored as torch.${storage}; unsupported dtype ` +
            '(the hypernetwork needs it, and only float32, float16, bfloat16 and float64 tensors can be read)',
        );
      }
      throw new T2LError('missing-tensor', `${this.label}: hypermod.pt has no tensor "${key}"`);
    }
    if (expected) {
      const ok =
        t.shape.length === expected.length &&
        expected.every((d, i) => d === undefined || d === t.shape[i]);
      if (!ok) {
        const want = expected.map((d) => (d === undefined ? '?' : String(d))).join(', ');
        throw new T2LError(
          'bad-shape',
          `${this.label}: tensor "${key}" has shape ${shapeString(t.shape)}, expected [${want}]`,
        );
      }
    }
    return t;
  }

  dim(key: string, rank: number, axis: number): number {
    const t = this.get(key);
    if (t.shape.length !== rank) {
      throw new T2LError(
        'bad-shape',
        `${this.label}: tensor "${key}" has shape ${shapeString(t.shape)}, expected ${rank} dimensions`,
      );
    }
    return t.shape[axis]!;
  }
}

function contradiction(
  label: string,
  what: string,
  argsSide: string,
  weightSide: string,
): T2LError {
  return new T2LError(
    'args-mismatch',
    `${label}: args.yaml and hypermod.pt disagree on ${what}: args.yaml says ${argsSide}, but ${weightSide}`,
  );
}

/** Whether `a` lists each name of `b` exactly once (in any order). */
export function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && new Set(a).size === a.length && a.every((x) => b.includes(x));
}

export function describeCheckpoint(
  weights: Map<string, Tensor>,
  args: T2LArgs,
  config: AdapterConfig,
  options: DescribeOptions = {},
): T2LSpec {
  const label = options.label ?? 'checkpoint';
  const w = new WeightTable(weights, label, options.skipped);

  if (args.encoderType !== 'linear') {
    throw new T2LError(
      'unsupported',
      `${label}: encoder_type "${args.encoderType}" is not supported; only "linear" (the released T2L checkpoints) is`,
    );
  }
  // The reference raises NotImplementedError for this combination when it post-processes a recon
  // output; under sft the flag is never read, so only recon checkpoints are refused.
  if (args.trainingTask === 'recon' && args.predZScore && !args.factorized) {
    throw new T2LError(
      'unsupported',
      `${label}: pred_z_score without factorized is not supported (the reference does not implement it either)`,
    );
  }
  if (args.learnablePosEmb && !args.autoregGen) {
    throw new T2LError(
      'unsupported',
      `${label}: learnable_pos_emb is only valid with autoreg_gen: true`,
    );
  }

  const halfZ = w.dim('task_encoder.mlp.0.weight', 2, 0);
  const E = w.dim('task_encoder.mlp.0.weight', 2, 1);
  const Z = 2 * halfZ;
  if (Z % 4 !== 0) {
    throw new T2LError(
      'bad-shape',
      `${label}: latent size ${Z} (from task_encoder.mlp.0.weight) is not divisible by 4`,
    );
  }
  w.get('mixer.1.weight', [4 * Z, Z]);
  if (args.latentSize !== undefined && args.latentSize !== Z) {
    throw contradiction(
      label,
      'the latent size',
      `hypernet_latent_size: ${args.latentSize}`,
      `task_encoder.mlp.0.weight is ${shapeString(w.get('task_encoder.mlp.0.weight').shape)}, i.e. ${Z}`,
    );
  }
  const H = w.dim('mlp3.4.weight', 2, 0);
  if (args.headInSize !== undefined && args.headInSize !== H) {
    throw contradiction(
      label,
      'the head input size',
      `head_in_size: ${args.headInSize}`,
      `mlp3.4.weight is ${shapeString(w.get('mlp3.4.weight').shape)}, i.e. ${H}`,
    );
  }
  const L = w.dim('layer_depth_encoder.0.weight', 2, 0);
  const M = w.dim('layer_type_encoder.0.weight', 2, 0);

  // Module names: adapter_config.json gives the default order; args.yaml and the heads must agree.
  const configModules = config.targetModules;
  if (args.targetModules && !sameSet(args.targetModules, configModules)) {
    throw new T2LError(
      'args-mismatch',
      `${label}: args.yaml target_modules [${args.targetModules.join(', ')}] and adapter_config.json target_modules [${configModules.join(', ')}] differ`,
    );
  }
  const headModules = [...weights.keys()]
    .filter((k) => /^heads\.[^.]+\.weight$/.test(k))
    .map((k) => k.slice('heads.'.length, -'.weight'.length));
  if (!sameSet(headModules, configModules)) {
    throw new T2LError(
      'args-mismatch',
      `${label}: adapter_config.json targets [${configModules.join(', ')}] but hypermod.pt has heads for [${headModules.join(', ')}]`,
    );
  }
  if (M !== configModules.length) {
    throw new T2LError(
      'bad-shape',
      `${label}: layer_type_encoder.0.weight has ${M} rows but there are ${configModules.length} target modules`,
    );
  }
  const order = options.moduleOrder ?? configModules;
  if (!sameSet(order, configModules)) {
    throw new T2LError(
      'bad-input',
      `${label}: module order [${order.join(', ')}] must list each target module exactly once: [${configModules.join(', ')}]`,
    );
  }

  const variant = variantOf(args.sharedABHead, args.autoregGen);
  const positions: Positions = !args.autoregGen
    ? 'none'
    : args.learnablePosEmb
      ? 'learned'
      : 'rotary';
  const r = w.dim(`AB_offset.A.${order[0]}`, 3, 1);
  if (r !== config.r) {
    throw new T2LError(
      'args-mismatch',
      `${label}: adapter_config.json says r = ${config.r} but AB_offset.A.${order[0]} has rank ${r}`,
    );
  }

  const modules: ModuleSpec[] = order.map((name) => {
    const inF = w.get(`AB_offset.A.${name}`, [L, r, undefined]).shape[2]!;
    const outF = w.get(`AB_offset.B.${name}`, [L, undefined, r]).shape[1]!;
    const head = w.get(`heads.${name}.weight`, [undefined, H]);
    const expectedOut = headOutSize(variant, r, inF, outF);
    if (head.shape[0] !== expectedOut) {
      throw new T2LError(
        'args-mismatch',
        `${label}: args.yaml describes T2L-${variant} (${variantFlags(variant)}), whose heads.${name}.weight needs ${expectedOut} rows (in ${inF}, out ${outF}, r ${r}), but hypermod.pt has ${shapeString(head.shape)}`,
      );
    }
    const headBias = w.has(`heads.${name}.bias`);
    if (headBias) w.get(`heads.${name}.bias`, [expectedOut]);
    return { name, inFeatures: inF, outFeatures: outF, headOut: expectedOut, headBias };
  });

  // The reference builds its heads with a bias exactly when head_use_bias = (training_task sft
  // and no mt_lora_path) or (recon and not pred_z_score) (hyper_modulator.py, create_hypermod),
  // and loads with strict=False: a bias the args do not call for would be ignored there, a
  // missing one left at its initial value. Either way this args.yaml is not the one the state
  // dict was trained with (a misspelled pred_z_score or training_task, say).
  const biasExpected =
    (args.trainingTask === 'sft' && args.mtLoraPath === undefined) ||
    (args.trainingTask === 'recon' && !args.predZScore);
  const odd = modules.find((m) => m.headBias !== biasExpected);
  if (odd !== undefined) {
    const unknown = Object.keys(args.raw).filter((k) => !REFERENCE_ARGS.includes(k));
    throw contradiction(
      label,
      "the heads' bias",
      `training_task: ${args.trainingTask}, pred_z_score: ${args.predZScore}, ` +
        `mt_lora_path: ${args.mtLoraPath ?? 'null'} (so the reference builds heads ${biasExpected ? 'with' : 'without'} a bias)`,
      `hypermod.pt ${odd.headBias ? 'has' : 'has no'} heads.${odd.name}.bias` +
        (unknown.length > 0
          ? `; args.yaml also has keys the reference does not know: ${unknown.map((k) => `${k} (${nearestArg(k).key}?)`).join(', ')}`
          : ''),
    );
  }

  checkSharedShapes(w, { E, Z, H, L, M, r, variant, positions, args, modules });

  let paramCount = 0;
  for (const t of weights.values()) paramCount += numel(t.shape);

  return {
    variant,
    positions,
    taskEmbSize: E,
    latentSize: Z,
    headInSize: H,
    layers: L,
    rank: r,
    modules,
    trainingTask: args.trainingTask,
    predZScore: args.predZScore,
    factorized: args.factorized,
    deltaWScaling: args.deltaWScaling,
    loraAlpha: config.loraAlpha,
    useRslora: config.useRslora,
    baseModel: args.modelDir ?? config.baseModel ?? 'unknown',
    embModel: args.embModel ?? DEFAULT_EMB_MODEL,
    paramCount,
  };
}

interface Sizes {
  E: number;
  Z: number;
  H: number;
  L: number;
  M: number;
  r: number;
  variant: Variant;
  positions: Positions;
  args: T2LArgs;
  modules: ModuleSpec[];
}

/** Checks every tensor the forward pass reads, so graph building cannot meet a surprise. */
function checkSharedShapes(w: WeightTable, s: Sizes): void {
  const { E, Z, H, L, M, r } = s;
  const ln = (prefix: string, n: number) => {
    w.get(`${prefix}.weight`, [n]);
    w.get(`${prefix}.bias`, [n]);
  };
  const linear = (prefix: string, out: number, inp: number) => {
    w.get(`${prefix}.weight`, [out, inp]);
    w.get(`${prefix}.bias`, [out]);
  };
  linear('task_encoder.mlp.0', Z / 2, E);
  ln('task_encoder.mlp.1', Z / 2);
  w.get('layer_depth_encoder.0.weight', [L, Z / 4]);
  ln('layer_depth_encoder.1', Z / 4);
  w.get('layer_type_encoder.0.weight', [M, Z / 4]);
  ln('layer_type_encoder.1', Z / 4);
  linear('mixer.1', 4 * Z, Z);
  linear('mixer.4', Z, 4 * Z);
  for (const k of ['mlp1', 'mlp2']) {
    ln(`${k}.mlp.0`, Z);
    linear(`${k}.mlp.1`, 4 * Z, Z);
    linear(`${k}.mlp.4`, Z, 4 * Z);
  }
  ln('mlp3.0', Z);
  linear('mlp3.1', 4 * Z, Z);
  linear('mlp3.4', H, 4 * Z);

  const shared = s.variant === 'M' || s.variant === 'S';
  if (shared) {
    ln('out_emb_norm', Z);
    for (const m of s.modules) {
      w.get(`out_emb.${m.name}.A`, [Z]);
      w.get(`out_emb.${m.name}.B`, [Z]);
    }
  } else if (w.has('out_emb_norm.weight')) {
    throw contradiction(
      label(w),
      'the head',
      'shared_AB_head: false',
      'hypermod.pt has out_emb_norm (a shared A/B head)',
    );
  }
  if (s.positions === 'learned') {
    w.get('pos_emb.0.weight', [r, Z]);
    ln('pos_emb.1', Z);
  } else if (w.has('pos_emb.0.weight')) {
    throw contradiction(
      label(w),
      'rank positions',
      `learnable_pos_emb: ${s.args.learnablePosEmb}, autoreg_gen: ${s.args.autoregGen}`,
      'hypermod.pt has pos_emb (learned rank positions)',
    );
  }
  // pred_z_score is read only for recon: the reference applies the z-score in
  // convert_to_raw_scale, which runs for training_task recon alone (hyper_modulator.py), and the
  // flag defaults to true (configs.py), so sft runs record `pred_z_score: true` with no z-score
  // tensors in use. An sft checkpoint with the flag set converts as the reference runs it.
  const zscore = s.args.trainingTask === 'recon' && s.args.factorized && s.args.predZScore;
  for (const m of s.modules) {
    if (zscore) {
      for (const p of ['mean_recon_target', 'std_recon_target']) {
        w.get(`${p}.A.${m.name}`, [L, r, m.inFeatures]);
        w.get(`${p}.B.${m.name}`, [L, m.outFeatures, r]);
      }
    }
  }
}

function label(w: WeightTable): string {
  return w.label;
}
