import type { RandomCheckpointOptions } from '../../src/fixtures/random-checkpoint';

/**
 * The benchmark's synthetic checkpoints: the exact tensor shapes of the released T2Ls (random
 * weights). Mistral-7B and Llama-3.1-8B: 32 layers, q_proj 4096→4096, v_proj 4096→1024;
 * gemma-2-2b: 26 layers, q_proj 2304→2048, v_proj 2304→1024. Task embedding 1024 (gte-large),
 * rank 8. The Mistral T2L uses latent 128 / head input 512, the Llama and Gemma ones 512 / 2048.
 */
export interface BenchShape {
  id: string;
  label: string;
  options: RandomCheckpointOptions;
}

const MISTRAL_MODULES = [
  { name: 'q_proj', inFeatures: 4096, outFeatures: 4096 },
  { name: 'v_proj', inFeatures: 4096, outFeatures: 1024 },
];
const GEMMA_MODULES = [
  { name: 'q_proj', inFeatures: 2304, outFeatures: 2048 },
  { name: 'v_proj', inFeatures: 2304, outFeatures: 1024 },
];
const COMMON = { taskEmbSize: 1024, rank: 8, seed: 1 };

export const SHAPES: BenchShape[] = [
  {
    id: 'mistral-L',
    label: 'Mistral-7B T2L-L',
    options: {
      ...COMMON,
      latentSize: 128,
      headInSize: 512,
      layers: 32,
      modules: MISTRAL_MODULES,
      baseModel: 'mistralai/Mistral-7B-Instruct-v0.2',
    },
  },
  {
    id: 'mistral-M',
    label: 'Mistral-7B T2L-M',
    options: {
      ...COMMON,
      latentSize: 128,
      headInSize: 512,
      layers: 32,
      modules: MISTRAL_MODULES,
      sharedABHead: true,
      baseModel: 'mistralai/Mistral-7B-Instruct-v0.2',
    },
  },
  {
    id: 'mistral-S',
    label: 'Mistral-7B T2L-S',
    options: {
      ...COMMON,
      latentSize: 128,
      headInSize: 512,
      layers: 32,
      modules: MISTRAL_MODULES,
      sharedABHead: true,
      autoregGen: true,
      baseModel: 'mistralai/Mistral-7B-Instruct-v0.2',
    },
  },
  {
    id: 'llama-L',
    label: 'Llama-3.1-8B T2L-L',
    options: {
      ...COMMON,
      latentSize: 512,
      headInSize: 2048,
      layers: 32,
      modules: MISTRAL_MODULES,
      baseModel: 'meta-llama/Llama-3.1-8B-Instruct',
    },
  },
  {
    id: 'gemma-L',
    label: 'gemma-2-2b T2L-L',
    options: {
      ...COMMON,
      latentSize: 512,
      headInSize: 2048,
      layers: 26,
      modules: GEMMA_MODULES,
      baseModel: 'google/gemma-2-2b-it',
    },
  },
];

export function shapeById(id: string): BenchShape {
  const s = SHAPES.find((x) => x.id === id);
  if (!s) throw new Error(`no bench shape ${id} (known: ${SHAPES.map((x) => x.id).join(', ')})`);
  return s;
}
