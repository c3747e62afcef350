import { describe, expect, it } from 'vitest';
import type { GeneratedAdapter } from '../../../src/core/generate';
import { compareAdapters } from '../../../src/core/package/fidelity';
import { cosine, maxRelError } from '../../support/compare';

/** One module, `layers` layers of A [r, in] and B [out, r], values from `f(layer, which, i)`. */
function adapter(
  layers: number,
  f: (l: number, which: 'A' | 'B', i: number) => number,
): GeneratedAdapter {
  const r = 2;
  const inF = 3;
  const outF = 4;
  const fill = (which: 'A' | 'B', size: number) =>
    Float32Array.from({ length: layers * size }, (_, k) =>
      f(Math.floor(k / size), which, k % size),
    );
  return {
    modules: {
      q_proj: {
        loraA: fill('A', r * inF),
        loraB: fill('B', outF * r),
        layers,
        rank: r,
        inFeatures: inF,
        outFeatures: outF,
      },
    },
  };
}

describe('compareAdapters (package fidelity)', () => {
  it('reports the minimum cosine over matrices, not the mean, and where it is', () => {
    const ref = adapter(3, (l, w, i) => Math.sin(1 + i + 7 * l + (w === 'B' ? 50 : 0)));
    // Layer 1's B is perturbed much more than anything else: the one bad matrix.
    const ours = adapter(3, (l, w, i) => {
      const v = Math.sin(1 + i + 7 * l + (w === 'B' ? 50 : 0));
      return v + (l === 1 && w === 'B' ? 0.8 * Math.cos(3 * i) : 0.01 * Math.cos(i));
    });
    const c = compareAdapters([ours], [ref]);
    // Independent per-matrix cosines (test/support/compare.ts, float64).
    const cos: number[] = [];
    let rel = 0;
    for (const which of ['A', 'B'] as const) {
      const size = which === 'A' ? 6 : 8;
      const a = which === 'A' ? ours.modules['q_proj']!.loraA : ours.modules['q_proj']!.loraB;
      const b = which === 'A' ? ref.modules['q_proj']!.loraA : ref.modules['q_proj']!.loraB;
      for (let l = 0; l < 3; l++) {
        const x = a.subarray(l * size, (l + 1) * size);
        const y = b.subarray(l * size, (l + 1) * size);
        cos.push(cosine(x, y));
        rel = Math.max(rel, maxRelError(x, y));
      }
    }
    const min = Math.min(...cos);
    const mean = cos.reduce((s, v) => s + v, 0) / cos.length;
    expect(mean - min).toBeGreaterThan(0.01); // the minimum and the mean really differ
    expect(c.matrices).toBe(6);
    expect(c.minCosine).toBeCloseTo(min, 6);
    expect(c.meanCosine).toBeCloseTo(mean, 6);
    expect(c.minCosine).toBeLessThanOrEqual(c.meanCosine);
    expect(c.maxRelError).toBeCloseTo(rel, 6);
    expect(c.worst).toBe('q_proj.lora_B layer 1, embedding 0');
  });
});
