import { T2LError } from '../errors';
import type { Positions, T2LSpec, Variant } from '../checkpoint/spec';
import { isPrecision, type Precision } from '../onnx/quantize';

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
}

/**
 * Whether a row of the graph's outputs depends on the other rows of its batch: true where weights
 * are stored as int8, multiplied by DynamicQuantizeMatMul with one activation scale per tensor.
 * Such graphs run one task embedding at a time, so that an adapter depends only on its own
 * description, whatever else is generated with it. (int8 packages written before that op was used
 * are row-independent; running them row by row costs only time.)
 */
export function rowsShareQuantization(manifest: Pick<PackageManifest, 'weights'>): boolean {
  return (manifest.weights?.stored.int8?.length ?? 0) > 0;
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

const positiveInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0;

/** Parses and checks t2l.json; every problem names the file and the field. */
export function parseManifest(text: string, file = MANIFEST_FILE): PackageManifest {
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new T2LError('bad-package', `${file}: not valid JSON (${(e as Error).message})`, {
      cause: e,
    });
  }
  const fail = (why: string) => new T2LError('bad-package', `${file}: ${why}`);
  if (m === null || typeof m !== 'object') throw fail('expected a JSON object');
  if (m['format'] !== PACKAGE_FORMAT)
    throw fail(`format must be "${PACKAGE_FORMAT}", found ${JSON.stringify(m['format'])}`);
  if (typeof m['version'] !== 'number' || !Number.isInteger(m['version'])) {
    throw fail(
      `"version" must be an integer (the package format version, ${PACKAGE_VERSION} today), found ${m['version'] === undefined ? 'none' : JSON.stringify(m['version'])}`,
    );
  }
  if (m['version'] > PACKAGE_VERSION) {
    throw fail(
      `version ${JSON.stringify(m['version'])} is newer than this t2l-web understands (${PACKAGE_VERSION})`,
    );
  }
  for (const k of ['taskEmbSize', 'latentSize', 'headInSize', 'layers', 'rank']) {
    if (!positiveInt(m[k]))
      throw fail(`${k} must be a positive integer, found ${JSON.stringify(m[k])}`);
  }
  const modules = m['modules'];
  if (
    !Array.isArray(modules) ||
    modules.length === 0 ||
    !modules.every(
      (x: Record<string, unknown>) =>
        typeof x?.['name'] === 'string' &&
        positiveInt(x['inFeatures']) &&
        positiveInt(x['outFeatures']),
    )
  ) {
    throw fail('modules must be a non-empty list of {name, inFeatures, outFeatures}');
  }
  const order = m['moduleOrder'];
  if (!Array.isArray(order) || order.length !== modules.length) {
    throw fail('moduleOrder must list every module once');
  }
  for (const k of ['baseModel', 'variant', 'encoder', 'graph']) {
    if (typeof m[k] !== 'string') throw fail(`${k} must be a string`);
  }
  if (m['precision'] === undefined) m['precision'] = 'fp32';
  if (!isPrecision(m['precision'])) {
    throw fail(
      `precision ${JSON.stringify(m['precision'])} is not one this t2l-web knows (fp32, fp16, int8, q4)`,
    );
  }
  const fidelity = m['fidelity'] as Record<string, unknown> | undefined;
  if (
    fidelity !== undefined &&
    (fidelity === null ||
      typeof fidelity !== 'object' ||
      typeof fidelity['minCosine'] !== 'number' ||
      typeof fidelity['maxRelError'] !== 'number')
  ) {
    throw fail('fidelity must be an object with numbers minCosine and maxRelError');
  }
  if (m['adapterConfig'] === null || typeof m['adapterConfig'] !== 'object') {
    throw fail('adapterConfig must be the adapter_config.json object');
  }
  return m as unknown as PackageManifest;
}
