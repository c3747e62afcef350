import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors } from '../../src/core/adapter/safetensors';
import type { Tensor } from '../../src/core/tensor';

export const CONFORMANCE_DIR = join(import.meta.dirname, '..', 'fixtures', 'conformance');

interface IndexJson {
  n_layers: number;
  rank: number;
  task_emb_size: number;
  features: Record<string, { in_features: number; out_features: number }>;
  variants: Record<string, { params: number; state_dict_keys: number }>;
}

export const conformanceIndex = JSON.parse(
  readFileSync(join(CONFORMANCE_DIR, 'index.json'), 'utf8'),
) as IndexJson;
export const CONFORMANCE_CASES = Object.keys(conformanceIndex.variants);

export function readTensors(path: string): Map<string, Tensor> {
  return readSafetensors(new Uint8Array(readFileSync(path)), path).tensors;
}

export function conformanceInputs(name: string): { taskEmb: Tensor; encoded: Tensor } {
  const t = readTensors(join(CONFORMANCE_DIR, name, 'inputs.safetensors'));
  return { taskEmb: t.get('task_emb')!, encoded: t.get('encoded_task_emb')! };
}

export function conformanceExpected(name: string, row: number): Map<string, Tensor> {
  return readTensors(join(CONFORMANCE_DIR, name, `expected-${row}.safetensors`));
}

/** The acceptance bound: max|ours − expected| ≤ 1e-4 · max|expected|, as a ratio (≤ 1e-4 passes). */
export function relativeError(ours: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (ours.length !== expected.length) return Infinity;
  let maxE = 0;
  let maxD = 0;
  for (let i = 0; i < expected.length; i++) {
    maxE = Math.max(maxE, Math.abs(expected[i]!));
    const d = Math.abs(ours[i]! - expected[i]!);
    maxD = Number.isNaN(d) ? Infinity : Math.max(maxD, d);
  }
  return maxE === 0 ? maxD : maxD / maxE;
}
