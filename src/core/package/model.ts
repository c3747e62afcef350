import type { Checkpoint } from '../checkpoint/load';
import { loadCheckpoint } from '../checkpoint/load';
import { peftLoraConfig } from '../adapter/lora-config';
import { T2LError } from '../errors';
import { configText, type FileSource } from '../files';
import { peftAdapterError } from './folder-check';
import { buildT2LModel, type GraphOptions } from '../onnx/t2l-graph';
import { checkGraphMatchesManifest, MANIFEST_METADATA } from './graph-check';
import {
  GRAPH_FILE,
  MANIFEST_FILE,
  manifestFromSpec,
  parseManifest,
  type Fidelity,
  type PackageManifest,
} from './manifest';
import { sameSet } from '../checkpoint/spec';

export const CREATED_BY = 't2l-web 0.1.0';

/** A converted hypernetwork: the manifest and its ONNX graph. What the app, CLI and server run. */
export interface T2LModel {
  manifest: PackageManifest;
  graph: Uint8Array;
}

/**
 * Converts a checkpoint into a package at the precision asked for (default fp32): fp16 stores the
 * matrices in half precision, int8 and q4 quantize the heads (and, at Z = 512, the wide MLP layers).
 * The manifest says which weights are stored how; its fidelity comes from measureFidelity
 * (./fidelity), which needs a runtime, or is exact for fp32.
 */
export function convertCheckpoint(checkpoint: Checkpoint, options: ConvertOptions = {}): T2LModel {
  const precision = options.precision ?? 'fp32';
  const manifest = manifestFromSpec(
    checkpoint.spec,
    checkpoint.adapterConfig.raw,
    checkpoint.source,
    CREATED_BY,
    precision,
  );
  // Refused before any work when its adapters could not be written loadable (one rule, every format).
  peftLoraConfig(manifest, `${checkpoint.source}/adapter_config.json`);
  const { graph, info } = buildT2LModel(checkpoint.spec, checkpoint.weights, {
    ...options,
    metadata: {
      [MANIFEST_METADATA]: JSON.stringify({ ...manifest, adapterConfig: undefined }),
      ...options.metadata,
    },
  });
  manifest.weights = {
    ...(precision === 'q4' ? { blockSize: info.format.blockSize } : {}),
    stored: info.stored,
    initializerBytes: info.initializerBytes,
    ...(info.stored.int8?.length ? { int8Activations: 'per-row' as const } : {}),
  };
  if (precision === 'fp32') manifest.fidelity = EXACT_FIDELITY;
  return { manifest, graph };
}

export type ConvertOptions = GraphOptions;

/** An fp32 package is the reference itself. */
export const EXACT_FIDELITY: Fidelity = {
  reference: 'fp32',
  embeddings: 'none needed: the float32 graph is the reference',
  minCosine: 1,
  meanCosine: 1,
  maxRelError: 0,
  worst: '',
  matrices: 0,
};

/** The files of a package folder. */
export function packageFiles(model: T2LModel): Record<string, Uint8Array | string> {
  return {
    [MANIFEST_FILE]: JSON.stringify(model.manifest, null, 2) + '\n',
    [model.manifest.graph]: model.graph,
  };
}

/**
 * Reads a package folder: t2l.json (parseManifest) and the graph it names, then cross-checks the
 * two (checkGraphMatchesManifest). Throws bad-package when they disagree or the graph is missing.
 */
export async function readPackage(source: FileSource): Promise<T2LModel> {
  const manifest = parseManifest(
    configText(await source.read(MANIFEST_FILE), `${source.label}/${MANIFEST_FILE}`),
    `${source.label}/${MANIFEST_FILE}`,
  );
  peftLoraConfig(manifest, `${source.label}/${MANIFEST_FILE} adapterConfig`);
  if (!(await source.has(manifest.graph))) {
    if (await source.isFolder?.(manifest.graph)) {
      throw new T2LError(
        'bad-package',
        `${source.label}/${manifest.graph}: is a folder, expected the ONNX graph file (t2l.json graph)`,
      );
    }
    throw new T2LError(
      'bad-package',
      `${source.label}: t2l.json names the graph ${manifest.graph}, which is missing`,
    );
  }
  const graph = await source.read(manifest.graph);
  checkGraphMatchesManifest(manifest, graph, `${source.label}/${manifest.graph}`);
  return { manifest, graph };
}

export type FolderKind = 'package' | 'checkpoint';

export async function folderKind(source: FileSource): Promise<FolderKind> {
  if (await source.has(MANIFEST_FILE)) return 'package';
  if (await source.has('hypermod.pt')) return 'checkpoint';
  // A PEFT adapter (our own output) is an easy mistake: name it rather than list missing files.
  const [config, weights] = await Promise.all([
    source.has('adapter_config.json'),
    source.has('adapter_model.safetensors'),
  ]);
  if (config && weights) throw peftAdapterError(source.label);
  throw new T2LError(
    'missing-file',
    `${source.label}: neither a converted package (${MANIFEST_FILE} + ${GRAPH_FILE}) nor a T2L checkpoint (hypermod.pt, args.yaml, adapter_config.json)`,
  );
}

export interface OpenOptions extends GraphOptions {
  moduleOrder?: string[] | undefined;
  /** Warnings of a checkpoint read on the fly (loadCheckpoint's onWarning). */
  onWarning?: ((message: string) => void) | undefined;
}

/** Opens a package, or converts a checkpoint folder on the fly. */
export async function openModel(source: FileSource, options: OpenOptions = {}): Promise<T2LModel> {
  if ((await folderKind(source)) === 'checkpoint') {
    return convertCheckpoint(
      await loadCheckpoint(source, {
        moduleOrder: options.moduleOrder,
        onWarning: options.onWarning,
      }),
      options,
    );
  }
  const model = await readPackage(source);
  const order = options.moduleOrder;
  if (order && !sameSet(order, model.manifest.moduleOrder)) {
    throw new T2LError(
      'bad-input',
      `${source.label}: module order [${order.join(', ')}] must list each target module of this package exactly once: [${model.manifest.moduleOrder.join(', ')}]`,
    );
  }
  if (order && order.join(',') !== model.manifest.moduleOrder.join(',')) {
    throw new T2LError(
      'bad-input',
      `${source.label}: this package was converted with module order ${model.manifest.moduleOrder.join(',')}; the order is part of the graph, so convert the checkpoint again with --module-order ${order.join(',')}`,
    );
  }
  return model;
}
