import { z } from 'zod';
import { adapterConfigFrom } from '../checkpoint/adapter-config';
import { T2LError } from '../errors';
import { hubModelId, parseWithSchema } from '../schema';
import type { Positions, T2LSpec, Variant } from '../checkpoint/spec';
import { PRECISIONS, type Precision } from '../onnx/quantize';
import { parseJsonBounded } from '../json';

export { PRECISIONS, isPrecision, type Precision } from '../onnx/quantize';

export const PACKAGE_FORMAT = 't2l-package';
export const PACKAGE_VERSION = 1;
export const MANIFEST_FILE = 't2l.json';
export const GRAPH_FILE = 'model.onnx';

/**
 * How close a package's adapters are to the float32 graph's, on a fixed set of task embeddings
 * (FIDELITY_EMBEDDINGS: seeded random unit vectors × √E). Each LoRA matrix (one layer, one module,
 * A or B, one embedding) is compared on its own; the worst is what counts.
 */
export interface Fidelity {
  /** What the adapters were compared with. */
  reference: 'fp32';
  /** How the embeddings were made, e.g. "8 seeded random unit vectors × sqrt(E), seed 20250711". */
  embeddings: string;
  /** Smallest cosine similarity over all compared matrices. */
  minCosine: number;
  meanCosine: number;
  /** Largest max|ours − fp32| / max|fp32| over all compared matrices. */
  maxRelError: number;
  /** Where the smallest cosine was, e.g. "q_proj.lora_B layer 3, embedding 5". */
  worst: string;
  /** Matrices compared. */
  matrices: number;
}

/** How the graph stores its weights. */
export interface WeightStorage {
  /** q4: input features per quantization block. */
  blockSize?: number;
  /** Matrix weights (checkpoint keys) by storage precision. */
  stored: Partial<Record<Precision, string[]>>;
  /** Bytes of all initializers in model.onnx. */
  initializerBytes: number;
  /**
   * How int8 products quantize their input: 'per-row', each row with its own scale, independent of
   * the rest of the batch (Layers.matMulInt8). Absent in int8 packages written before that, whose
   * DynamicQuantizeMatMul took one scale for the whole batch.
   */
  int8Activations?: 'per-row';
}

/**
 * Whether a row of the graph's outputs depends on the other rows of its batch: true for int8
 * packages whose DynamicQuantizeMatMul took one activation scale for the whole tensor (written
 * before int8Activations 'per-row'). Such graphs run one task embedding at a time, so that an
 * adapter depends only on its own description, whatever else is generated with it. (int8 packages
 * written before that op was used are row-independent; running them row by row costs only time.)
 */
export function rowsShareQuantization(manifest: Pick<PackageManifest, 'weights'>): boolean {
  const w = manifest.weights;
  return (w?.stored.int8?.length ?? 0) > 0 && w?.int8Activations !== 'per-row';
}

/** t2l.json: what a converted package is, so the app, CLI and server need nothing else. */
export interface PackageManifest {
  format: typeof PACKAGE_FORMAT;
  version: number;
  /** Where the checkpoint came from (folder, URL or Hub path). */
  source: string;
  baseModel: string;
  variant: Variant;
  positions: Positions;
  taskEmbSize: number;
  latentSize: number;
  headInSize: number;
  layers: number;
  rank: number;
  modules: Array<{ name: string; inFeatures: number; outFeatures: number }>;
  /** Row i of the type embedding belongs to moduleOrder[i]. */
  moduleOrder: string[];
  trainingTask: 'sft' | 'recon';
  /** Weight precision of the graph: fp32 (the reference's numbers), fp16, int8 or q4 (4-bit). */
  precision: Precision;
  /** Which weights the precision applies to (packages written before precisions had none). */
  weights?: WeightStorage;
  /** Measured closeness to float32; absent when it was not measured. */
  fidelity?: Fidelity;
  /** Text encoder the checkpoint was trained with (args.yaml emb_model). */
  encoder: string;
  paramCount: number;
  /** The checkpoint's adapter_config.json, written (with the base model set) into every adapter. */
  adapterConfig: Record<string, unknown>;
  graph: string;
  createdBy: string;
}

export function manifestFromSpec(
  spec: T2LSpec,
  adapterConfig: Record<string, unknown>,
  source: string,
  createdBy: string,
  precision: Precision = 'fp32',
): PackageManifest {
  return {
    format: PACKAGE_FORMAT,
    version: PACKAGE_VERSION,
    source,
    baseModel: spec.baseModel,
    variant: spec.variant,
    positions: spec.positions,
    taskEmbSize: spec.taskEmbSize,
    latentSize: spec.latentSize,
    headInSize: spec.headInSize,
    layers: spec.layers,
    rank: spec.rank,
    modules: spec.modules.map((m) => ({
      name: m.name,
      inFeatures: m.inFeatures,
      outFeatures: m.outFeatures,
    })),
    moduleOrder: spec.modules.map((m) => m.name),
    trainingTask: spec.trainingTask,
    precision,
    encoder: spec.embModel,
    paramCount: spec.paramCount,
    adapterConfig,
    graph: GRAPH_FILE,
    createdBy,
  };
}

const positiveInt = z.number().int().positive();
const count = z.number().int().nonnegative();
const precision = z.enum(PRECISIONS as unknown as [Precision, ...Precision[]]);

/**
 * `graph` names a file inside the package folder: a plain file name, no folders, no `..`, no
 * absolute path (a manifest must not make the reader open /dev/zero or another package's files).
 */
export const graphFileName = z
  .string()
  .min(1)
  .max(255)
  .refine((s) => !/[/\\\0]/.test(s) && s !== '.' && s !== '..' && !/^[a-zA-Z]:/.test(s), {
    message: 'expected a plain file name inside the package folder',
  });

/** t2l.json, validated: types, ranges, and the fields that must agree with each other. */
export const manifestSchema = z
  .looseObject({
    format: z.literal(PACKAGE_FORMAT),
    version: z
      .number({
        error: `expected the package format version, an integer (${PACKAGE_VERSION} today)`,
      })
      .int()
      .positive()
      .max(PACKAGE_VERSION, {
        message: `a version this t2l-web understands (at most ${PACKAGE_VERSION}): the package is newer, update t2l-web`,
      }),
    source: z.string().default(''),
    baseModel: z.string(),
    variant: z.enum(['L', 'M', 'S', 'autoreg-unshared']),
    positions: z.enum(['none', 'rotary', 'learned']),
    taskEmbSize: positiveInt,
    latentSize: positiveInt,
    headInSize: positiveInt,
    layers: positiveInt,
    rank: positiveInt,
    modules: z
      .array(
        z.object({ name: z.string().min(1), inFeatures: positiveInt, outFeatures: positiveInt }),
      )
      .min(1),
    moduleOrder: z.array(z.string()),
    trainingTask: z.enum(['sft', 'recon']),
    precision: precision.default('fp32'),
    weights: z
      .object({
        blockSize: positiveInt.optional(),
        stored: z.partialRecord(precision, z.array(z.string())),
        initializerBytes: count,
        int8Activations: z.literal('per-row').optional(),
      })
      .optional(),
    fidelity: z
      .object({
        reference: z.literal('fp32'),
        embeddings: z.string(),
        minCosine: z.number().min(-1).max(1),
        meanCosine: z.number().min(-1).max(1),
        maxRelError: z.number().nonnegative(),
        worst: z.string(),
        matrices: count,
      })
      .optional(),
    encoder: hubModelId,
    paramCount: count,
    adapterConfig: z.record(z.string(), z.unknown()),
    graph: graphFileName,
    createdBy: z.string().default(''),
  })
  .superRefine((m, ctx) => {
    const names = m.modules.map((x) => x.name);
    if (new Set(names).size !== names.length) {
      ctx.addIssue({ code: 'custom', path: ['modules'], message: 'module names must differ' });
    }
    if (m.moduleOrder.length !== names.length || !names.every((n) => m.moduleOrder.includes(n))) {
      ctx.addIssue({
        code: 'custom',
        path: ['moduleOrder'],
        message: `expected each module once (${names.join(', ')}), found ${JSON.stringify(m.moduleOrder)}`,
      });
    }
    if (m.fidelity && m.fidelity.minCosine > m.fidelity.meanCosine) {
      ctx.addIssue({
        code: 'custom',
        path: ['fidelity', 'minCosine'],
        message: `expected at most meanCosine (${m.fidelity.meanCosine}), found ${m.fidelity.minCosine}`,
      });
    }
  });

/**
 * Parses and checks t2l.json (bad-package errors naming the file, the key, expected and found):
 * every field's type and range, module order a permutation of the modules, `graph` a plain file
 * name, and `adapterConfig` a valid PEFT LoraConfig whose r and target_modules are the package's
 * rank and modules (else the written adapter_config.json would lie about the weights).
 */
export function parseManifest(text: string, file = MANIFEST_FILE): PackageManifest {
  let raw: unknown;
  try {
    raw = parseJsonBounded(text);
  } catch (e) {
    throw new T2LError('bad-package', `${file}: not valid JSON (${(e as Error).message})`, {
      cause: e,
    });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new T2LError('bad-package', `${file}: expected a JSON object`);
  }
  const m = parseWithSchema(manifestSchema, raw, file, 'bad-package');
  const config = adapterConfigFrom(m.adapterConfig, `${file}: adapterConfig`, 'bad-package');
  if (config.r !== m.rank) {
    throw new T2LError(
      'bad-package',
      `${file}: adapterConfig.r is ${config.r} but the package's rank is ${m.rank}`,
    );
  }
  const names = m.modules.map((x) => x.name);
  const targets = config.targetModules;
  if (targets.length !== names.length || !names.every((n) => targets.includes(n))) {
    throw new T2LError(
      'bad-package',
      `${file}: adapterConfig.target_modules [${targets.join(', ')}] differ from the package's modules [${names.join(', ')}]`,
    );
  }
  return m as PackageManifest;
}
