import { T2LError } from '../errors';

/**
 * A weighted mix of two task embeddings: (1−t)·e₁ + t·e₂, rescaled to the norm √E that every
 * encoder output has (the hypernetwork was trained only on such vectors).
 */
export function blendEmbeddings(e1: Float32Array, e2: Float32Array, t: number): Float32Array {
  if (e1.length !== e2.length) {
    throw new T2LError('bad-shape', `blend: embeddings have ${e1.length} and ${e2.length} values`);
  }
  if (!(t >= 0 && t <= 1))
    throw new T2LError('bad-input', `blend: weight ${t} must be between 0 and 1`);
  const out = new Float32Array(e1.length);
  let norm = 0;
  for (let i = 0; i < out.length; i++) {
    const v = (1 - t) * e1[i]! + t * e2[i]!;
    out[i] = v;
    norm += v * v;
  }
  norm = Math.sqrt(norm);
  if (norm === 0)
    throw new T2LError('bad-input', 'blend: the two embeddings cancel out; pick another weight');
  const scale = Math.sqrt(out.length) / norm;
  for (let i = 0; i < out.length; i++) out[i] = out[i]! * scale;
  return out;
}
