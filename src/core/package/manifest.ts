import { T2LError } from '../errors';
import type { Positions, T2LSpec, Variant } from '../checkpoint/spec';

export const PACKAGE_FORMAT = 't2l-package';
export const PACKAGE_VERSION = 1;
export const MANIFEST_FILE = 't2l.json';
export const GRAPH_FILE = 'model.onnx';

export type Precision = 'fp32';

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
  precision: Precision;
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
    precision: 'fp32',
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
  if (typeof m['version'] !== 'number' || m['version'] > PACKAGE_VERSION) {
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
  if (m['adapterConfig'] === null || typeof m['adapterConfig'] !== 'object') {
    throw fail('adapterConfig must be the adapter_config.json object');
  }
  return m as unknown as PackageManifest;
}
