import { T2LError, shapeString } from './errors';
import { loraAName, loraBName, TASK_EMB_INPUT } from './onnx/t2l-graph';
import { rowsShareQuantization, type PackageManifest } from './package/manifest';
import type { FloatTensor, InferenceRunner } from './runtime/types';

/** One generated adapter: per module, A [L, r, in] and B [L, out, r], row-major. */
export interface GeneratedAdapter {
  modules: Record<
    string,
    {
      loraA: Float32Array;
      loraB: Float32Array;
      layers: number;
      rank: number;
      inFeatures: number;
      outFeatures: number;
    }
  >;
}

/** Checks a batch of task embeddings ([E] or [N, E]) against the model before it reaches the graph. */
export function checkTaskEmbeddings(
  manifest: PackageManifest,
  emb: FloatTensor,
  label = 'task embedding',
): number {
  const E = manifest.taskEmbSize;
  const dims = emb.dims;
  const ok =
    (dims.length === 1 && dims[0] === E) || (dims.length === 2 && dims[1] === E && dims[0]! > 0);
  if (!ok) {
    throw new T2LError(
      'bad-shape',
      `${label}: expected shape [${E}] or [N, ${E}], found ${shapeString(dims)}`,
    );
  }
  for (let i = 0; i < emb.data.length; i++) {
    if (!Number.isFinite(emb.data[i])) {
      throw new T2LError(
        'bad-input',
        `${label}: value ${i} is ${emb.data[i]}; embeddings must be finite`,
      );
    }
  }
  return dims.length === 1 ? 1 : dims[0]!;
}

/**
 * Runs the hypernetwork once for N embeddings and splits the batch into N adapters (one run per
 * embedding where the graph's rows share a quantization scale: rowsShareQuantization). The
 * adapters' matrices are views of the runner's outputs, not copies.
 */
export async function generateAdapters(
  manifest: PackageManifest,
  runner: InferenceRunner,
  emb: FloatTensor,
): Promise<GeneratedAdapter[]> {
  const n = checkTaskEmbeddings(manifest, emb);
  const E = manifest.taskEmbSize;
  if (n === 1 || !rowsShareQuantization(manifest)) {
    const out = await runner.run({ [TASK_EMB_INPUT]: { dims: [n, E], data: emb.data } });
    return splitAdapters(manifest, out, n);
  }
  // Row by row, each run's outputs used as they are (joining them first cost a copy of the batch).
  const adapters: GeneratedAdapter[] = [];
  for (let i = 0; i < n; i++) {
    const data = emb.data.subarray(i * E, (i + 1) * E);
    const out = await runner.run({ [TASK_EMB_INPUT]: { dims: [1, E], data } });
    adapters.push(...splitAdapters(manifest, out, 1));
  }
  return adapters;
}

/** The graph's outputs for n embeddings as n adapters (views), each output's size checked. */
function splitAdapters(
  manifest: PackageManifest,
  out: Record<string, FloatTensor>,
  n: number,
): GeneratedAdapter[] {
  const { layers: L, rank: r } = manifest;
  const adapters: GeneratedAdapter[] = Array.from({ length: n }, () => ({ modules: {} }));
  for (const m of manifest.modules) {
    const A = out[loraAName(m.name)];
    const B = out[loraBName(m.name)];
    if (!A || !B) throw new T2LError('runtime', `the graph returned no output for ${m.name}`);
    const sizeA = L * r * m.inFeatures;
    const sizeB = L * m.outFeatures * r;
    if (A.data.length !== n * sizeA || B.data.length !== n * sizeB) {
      throw new T2LError(
        'runtime',
        `the graph's ${m.name} outputs have shapes ${shapeString(A.dims)} and ${shapeString(B.dims)}`,
      );
    }
    adapters.forEach((a, i) => {
      a.modules[m.name] = {
        loraA: A.data.subarray(i * sizeA, (i + 1) * sizeA),
        loraB: B.data.subarray(i * sizeB, (i + 1) * sizeB),
        layers: L,
        rank: r,
        inFeatures: m.inFeatures,
        outFeatures: m.outFeatures,
      };
    });
  }
  return adapters;
}
