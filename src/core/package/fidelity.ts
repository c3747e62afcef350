import type { Checkpoint } from '../checkpoint/load';
import { generateAdapters, type GeneratedAdapter } from '../generate';
import type { CreateRunner, RunnerOptions } from '../runtime/types';
import type { Fidelity, PackageManifest } from './manifest';
import { convertCheckpoint, type ConvertOptions, type T2LModel } from './model';

/** The fixed embeddings every package's fidelity is measured on. */
export const FIDELITY_EMBEDDINGS = { count: 8, seed: 20250711 } as const;

/**
 * `count` seeded random directions (Gaussian, via mulberry32 and Box–Muller), each L2-normalized
 * and scaled by √E as the encoder step does: [count, E], row-major.
 */
export function fidelityEmbeddings(
  E: number,
  count: number = FIDELITY_EMBEDDINGS.count,
  seed: number = FIDELITY_EMBEDDINGS.seed,
): Float32Array {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float32Array(count * E);
  for (let n = 0; n < count; n++) {
    const row = out.subarray(n * E, (n + 1) * E);
    let norm = 0;
    for (let i = 0; i < E; i++) {
      const g = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
      row[i] = g;
      norm += g * g;
    }
    const scale = Math.sqrt(E) / Math.sqrt(norm);
    for (let i = 0; i < E; i++) row[i] = row[i]! * scale;
  }
  return out;
}

/** Cosine similarity and max|a − b| / max|b| of two equally long vectors (b the reference). */
export function compareVectors(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
): { cosine: number; relError: number } {
  let dot = 0;
  let na = 0;
  let nb = 0;
  let maxB = 0;
  let maxD = 0;
  for (let i = 0; i < b.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
    maxB = Math.max(maxB, Math.abs(y));
    const d = Math.abs(x - y);
    maxD = Number.isNaN(d) ? Infinity : Math.max(maxD, d);
  }
  const cosine = na === 0 && nb === 0 ? 1 : na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
  return { cosine, relError: maxB === 0 ? maxD : maxD / maxB };
}

export interface AdapterComparison {
  minCosine: number;
  meanCosine: number;
  maxRelError: number;
  worst: string;
  matrices: number;
}

/**
 * Compares adapters matrix by matrix, as the conformance vectors are judged: every layer's lora_A
 * [r, in] and lora_B [out, r] of every module and every adapter on its own.
 */
export function compareAdapters(
  ours: GeneratedAdapter[],
  reference: GeneratedAdapter[],
): AdapterComparison {
  if (ours.length !== reference.length) {
    throw new Error(`compareAdapters: ${ours.length} adapters against ${reference.length}`);
  }
  let min = Infinity;
  let sum = 0;
  let count = 0;
  let maxRel = 0;
  let worst = '';
  ours.forEach((adapter, n) => {
    for (const [name, ref] of Object.entries(reference[n]!.modules)) {
      const mine = adapter.modules[name];
      if (!mine) throw new Error(`compareAdapters: adapter ${n} has no module ${name}`);
      const { layers: L, rank: r, inFeatures, outFeatures } = ref;
      for (const [which, size, a, b] of [
        ['lora_A', r * inFeatures, mine.loraA, ref.loraA],
        ['lora_B', outFeatures * r, mine.loraB, ref.loraB],
      ] as const) {
        for (let l = 0; l < L; l++) {
          const { cosine, relError } = compareVectors(
            a.subarray(l * size, (l + 1) * size),
            b.subarray(l * size, (l + 1) * size),
          );
          sum += cosine;
          count++;
          maxRel = Math.max(maxRel, relError);
          if (cosine < min) {
            min = cosine;
            worst = `${name}.${which} layer ${l}, embedding ${n}`;
          }
        }
      }
    }
  });
  return { minCosine: min, meanCosine: sum / count, maxRelError: maxRel, worst, matrices: count };
}

/** Adapters for the fidelity embeddings, in one batched run of a fresh session. */
export async function fidelityAdapters(
  manifest: PackageManifest,
  graph: Uint8Array,
  createRunner: CreateRunner,
  runnerOptions?: RunnerOptions,
): Promise<GeneratedAdapter[]> {
  const E = manifest.taskEmbSize;
  const runner = await createRunner(graph, runnerOptions);
  try {
    return await generateAdapters(manifest, runner, {
      dims: [FIDELITY_EMBEDDINGS.count, E],
      data: fidelityEmbeddings(E),
    });
  } finally {
    await runner.release();
  }
}

export interface FidelityOptions {
  createRunner: CreateRunner;
  runnerOptions?: RunnerOptions;
  /** The float32 adapters for the fidelity embeddings, when the caller already has them. */
  reference?: GeneratedAdapter[];
}

/**
 * Measures a package's fidelity: its adapters against those of the checkpoint's float32 graph on
 * the fixed embeddings. The float32 graph is built, run and dropped before the package's own
 * session is made, so at most one session exists at a time.
 */
export async function measureFidelity(
  checkpoint: Checkpoint,
  model: T2LModel,
  options: FidelityOptions,
): Promise<Fidelity> {
  let reference = options.reference;
  if (!reference) {
    const fp32 = convertCheckpoint(checkpoint, { precision: 'fp32' });
    reference = await fidelityAdapters(
      fp32.manifest,
      fp32.graph,
      options.createRunner,
      options.runnerOptions,
    );
  }
  const ours = await fidelityAdapters(
    model.manifest,
    model.graph,
    options.createRunner,
    options.runnerOptions,
  );
  const c = compareAdapters(ours, reference);
  const { count, seed } = FIDELITY_EMBEDDINGS;
  return {
    reference: 'fp32',
    embeddings: `${count} seeded random unit vectors × sqrt(E), seed ${seed}`,
    ...c,
  };
}

/** convertCheckpoint, then the fidelity measured into the manifest (exact for fp32). */
export async function convertWithFidelity(
  checkpoint: Checkpoint,
  options: ConvertOptions & FidelityOptions,
): Promise<T2LModel> {
  const { createRunner, runnerOptions, reference, ...convert } = options;
  const model = convertCheckpoint(checkpoint, convert);
  if (model.manifest.precision !== 'fp32') {
    model.manifest.fidelity = await measureFidelity(checkpoint, model, {
      createRunner,
      ...(runnerOptions ? { runnerOptions } : {}),
      ...(reference ? { reference } : {}),
    });
  }
  return model;
}
