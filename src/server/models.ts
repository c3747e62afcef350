/** The models `t2l serve` offers: every package or checkpoint folder under the models folder. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { T2LError } from '../core/errors';
import { loraAName, loraBName } from '../core/onnx/t2l-graph';
import { MANIFEST_FILE, rowsShareQuantization } from '../core/package/manifest';
import { openModel, type T2LModel } from '../core/package/model';
import { DESCRIPTION, TASK_EMB, type OipTensorMetadata } from '../core/remote/oip';
import { eachRowRunner } from '../core/runtime/each-row';
import type { Backend, InferenceRunner } from '../core/runtime/types';
import { modelDirSource } from '../node/fs-source';
import { createNodeRunner } from '../runtime/node';
import { ModelBatcher } from './batcher';
import { MODEL_NAME } from './triton-config';

const MAX_DEPTH = 4;

export interface ModelFolder {
  name: string;
  dir: string;
}

export type ModelState = 'LOADING' | 'READY' | 'UNAVAILABLE';

/** One served model: its folder, and once loaded its graph's session (created once, reused). */
export interface ServedModel extends ModelFolder {
  state: ModelState;
  /** Why it is UNAVAILABLE. */
  reason?: string;
  model?: T2LModel;
  runner?: InferenceRunner;
  /** Merges concurrent requests' rows into one run of `runner`. */
  batcher?: ModelBatcher;
  /** Whether the server's text encoder fits this model (same E): the `description` input. */
  acceptsDescription: boolean;
}

function isModelFolder(dir: string): boolean {
  return existsSync(join(dir, MANIFEST_FILE)) || existsSync(join(dir, 'hypermod.pt'));
}

/**
 * Every package (t2l.json) or checkpoint (hypermod.pt) folder at or under `root`, named by its
 * folder name. Model folders are not searched further; hidden folders and node_modules are skipped.
 */
export function discoverModels(
  root: string,
  warn: (msg: string) => void = () => {},
): ModelFolder[] {
  const top = resolve(root);
  if (!existsSync(top) || !statSync(top).isDirectory()) {
    throw new T2LError('missing-file', `${root}: no such folder`);
  }
  const found: ModelFolder[] = [];
  const walk = (dir: string, depth: number) => {
    if (isModelFolder(dir)) {
      const name = basename(dir);
      if (MODEL_NAME.test(name)) found.push({ name, dir });
      else warn(`skipping ${dir}: a model name must match ${MODEL_NAME}`);
      return;
    }
    if (depth >= MAX_DEPTH) return;
    for (const entry of readdirSync(dir).sort()) {
      if (entry.startsWith('.') || entry === 'node_modules') continue;
      const sub = join(dir, entry);
      if (statSync(sub, { throwIfNoEntry: false })?.isDirectory()) walk(sub, depth + 1);
    }
  };
  walk(top, 0);
  if (found.length === 0) {
    throw new T2LError(
      'missing-file',
      `${root}: no model folder found (a converted package with ${MANIFEST_FILE}, or a T2L checkpoint with hypermod.pt)`,
    );
  }
  const byName = new Map<string, ModelFolder>();
  for (const f of found) {
    const other = byName.get(f.name);
    if (other) {
      throw new T2LError(
        'bad-input',
        `two models would be named "${f.name}": ${relative(process.cwd(), other.dir) || '.'} and ${relative(process.cwd(), f.dir)}; serve a folder that holds only one of them (e.g. ${relative(process.cwd(), resolve(f.dir, '..'))})`,
      );
    }
    byName.set(f.name, f);
  }
  return found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Opens the package (or converts the checkpoint) and creates its onnxruntime-node session. */
export async function loadServedModel(
  m: ServedModel,
  options: { backend: Backend; encoderDim?: number | undefined; maxBatchRows: number },
): Promise<void> {
  try {
    const model = await openModel(modelDirSource(m.dir));
    const backends: Backend[] = options.backend === 'cuda' ? ['cuda', 'cpu'] : ['cpu'];
    m.runner = await createNodeRunner(model.graph, { backends });
    // Rows that share a quantization scale run one by one, so merged requests stay independent.
    const rows = rowsShareQuantization(model.manifest) ? eachRowRunner(m.runner) : m.runner;
    m.batcher = new ModelBatcher(rows, options.maxBatchRows);
    m.model = model;
    m.acceptsDescription = options.encoderDim === model.manifest.taskEmbSize;
    m.state = 'READY';
  } catch (e) {
    m.state = 'UNAVAILABLE';
    m.reason = e instanceof Error ? e.message : String(e);
  }
}

/** The v2 metadata of a loaded model's tensors; -1 is the batch dimension. */
export function modelTensors(m: ServedModel): {
  inputs: OipTensorMetadata[];
  outputs: OipTensorMetadata[];
} {
  const manifest = m.model!.manifest;
  const { layers: L, rank: r, taskEmbSize: E } = manifest;
  const inputs: OipTensorMetadata[] = [{ name: TASK_EMB, datatype: 'FP32', shape: [-1, E] }];
  if (m.acceptsDescription) inputs.push({ name: DESCRIPTION, datatype: 'BYTES', shape: [-1] });
  const outputs: OipTensorMetadata[] = [];
  for (const mod of manifest.modules) {
    outputs.push({
      name: loraAName(mod.name),
      datatype: 'FP32',
      shape: [-1, L, r, mod.inFeatures],
    });
    outputs.push({
      name: loraBName(mod.name),
      datatype: 'FP32',
      shape: [-1, L, mod.outFeatures, r],
    });
  }
  if (m.acceptsDescription) outputs.push({ name: TASK_EMB, datatype: 'FP32', shape: [-1, E] });
  return { inputs, outputs };
}
