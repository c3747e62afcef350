/**
 * Test-side comparers, written apart from the code under test (src/core/package/fidelity.ts), in
 * float64: quantized outputs are judged by these, never by the comparers the package uses to
 * measure its own fidelity.
 */

/** Cosine similarity of two equally long vectors (1 when both are all zero). */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`cosine: ${a.length} against ${b.length} values`);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = Number(a[i]);
    const y = Number(b[i]);
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  if (aa === 0 && bb === 0) return 1;
  return ab / Math.sqrt(aa) / Math.sqrt(bb);
}

/** max|a − b| / max|b| (b the reference); Infinity on NaN or a length mismatch. */
export function maxRelError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let maxB = 0;
  let maxD = 0;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(Number(a[i]) - Number(b[i]));
    if (Number.isNaN(d)) return Infinity;
    maxD = Math.max(maxD, d);
    maxB = Math.max(maxB, Math.abs(Number(b[i])));
  }
  return maxB === 0 ? maxD : maxD / maxB;
}
