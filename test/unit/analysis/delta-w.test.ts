import { describe, expect, it } from 'vitest';
import {
  adapterCosine,
  cosineMatrix,
  deltaNormTable,
  loraInner,
  loraNorm,
  loraScale,
} from '../../../src/core/analysis/delta-w';
import { blendEmbeddings } from '../../../src/core/analysis/blend';
import type { GeneratedAdapter } from '../../../src/core/generate';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

const rand = (n: number, next: () => number) => Float32Array.from({ length: n }, next);

/** ΔW = B·A formed explicitly, in float64: [out, in]. */
function explicitDelta(
  A: Float32Array,
  B: Float32Array,
  r: number,
  inF: number,
  outF: number,
): Float64Array {
  const d = new Float64Array(outF * inF);
  for (let o = 0; o < outF; o++)
    for (let i = 0; i < inF; i++) {
      let s = 0;
      for (let k = 0; k < r; k++) s += B[o * r + k]! * A[k * inF + i]!;
      d[o * inF + i] = s;
    }
  return d;
}

const dot = (x: Float64Array, y: Float64Array) => x.reduce((s, v, i) => s + v * y[i]!, 0);
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

function randomAdapter(
  seed: number,
  layers: number,
  dims: Record<string, [number, number]>,
  r: number,
): GeneratedAdapter {
  const next = rng(seed);
  const modules: GeneratedAdapter['modules'] = {};
  for (const [name, [inF, outF]] of Object.entries(dims)) {
    modules[name] = {
      loraA: rand(layers * r * inF, next),
      loraB: rand(layers * outF * r, next),
      layers,
      rank: r,
      inFeatures: inF,
      outFeatures: outF,
    };
  }
  return { modules };
}

describe('ΔW norms and cosines through r×r traces', () => {
  it.each([
    [4, 7, 5],
    [8, 48, 40],
    [3, 10, 31],
  ])('rank %i, %i → %i: norm and inner product equal the explicit ΔW', (r, inF, outF) => {
    const next = rng(r * 1000 + inF);
    const p = {
      A: rand(r * inF, next),
      B: rand(outF * r, next),
      rank: r,
      inFeatures: inF,
      outFeatures: outF,
    };
    const q = {
      A: rand(r * inF, next),
      B: rand(outF * r, next),
      rank: r,
      inFeatures: inF,
      outFeatures: outF,
    };
    const dp = explicitDelta(p.A, p.B, r, inF, outF);
    const dq = explicitDelta(q.A, q.B, r, inF, outF);
    expect(rel(loraNorm(p), Math.sqrt(dot(dp, dp)))).toBeLessThan(1e-5);
    expect(rel(loraInner(p, q), dot(dp, dq))).toBeLessThan(1e-5);
    expect(rel(loraInner(q, p), dot(dp, dq))).toBeLessThan(1e-5);
  });

  it('the heatmap and the cosine over whole adapters equal the explicit computation', () => {
    const dims: Record<string, [number, number]> = { q_proj: [12, 10], v_proj: [12, 4] };
    const a = randomAdapter(1, 3, dims, 4);
    const b = randomAdapter(2, 3, dims, 4);
    const scale = loraScale(16, 4, true);
    expect(scale).toBe(8);
    const table = deltaNormTable(a, ['q_proj', 'v_proj'], scale);
    expect(table).toHaveLength(3);
    let ab = 0;
    let aa = 0;
    let bb = 0;
    for (const [mi, m] of ['q_proj', 'v_proj'].entries()) {
      const [inF, outF] = dims[m]!;
      for (let l = 0; l < 3; l++) {
        const slice = (ad: GeneratedAdapter) => {
          const t = ad.modules[m]!;
          return explicitDelta(
            t.loraA.subarray(l * 4 * inF, (l + 1) * 4 * inF),
            t.loraB.subarray(l * outF * 4, (l + 1) * outF * 4),
            4,
            inF,
            outF,
          );
        };
        const da = slice(a);
        const db = slice(b);
        expect(rel(table[l]![mi]!, scale * Math.sqrt(dot(da, da)))).toBeLessThan(1e-5);
        ab += dot(da, db);
        aa += dot(da, da);
        bb += dot(db, db);
      }
    }
    expect(rel(adapterCosine(a, b, ['q_proj', 'v_proj']), ab / Math.sqrt(aa * bb))).toBeLessThan(
      1e-5,
    );
  });

  it('the cosine matrix equals the explicit ΔW cosines, diagonal included', () => {
    const dims: Record<string, [number, number]> = { q_proj: [9, 6] };
    const ads = [1, 2, 3].map((s) => randomAdapter(s, 2, dims, 2));
    const m = cosineMatrix(ads, ['q_proj']);
    // Every entry, the diagonal too, from ΔW formed explicitly (independent of the r×r traces).
    const flat = (ad: GeneratedAdapter) => {
      const t = ad.modules['q_proj']!;
      const parts = [0, 1].map((l) =>
        explicitDelta(
          t.loraA.subarray(l * 2 * 9, (l + 1) * 2 * 9),
          t.loraB.subarray(l * 6 * 2, (l + 1) * 6 * 2),
          2,
          9,
          6,
        ),
      );
      return Float64Array.from([...parts[0]!, ...parts[1]!]);
    };
    const deltas = ads.map(flat);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        const want =
          dot(deltas[i]!, deltas[j]!) /
          Math.sqrt(dot(deltas[i]!, deltas[i]!) * dot(deltas[j]!, deltas[j]!));
        expect(Math.abs(m[i]![j]! - want), `entry ${i},${j}`).toBeLessThan(1e-6);
      }
    }
    expect(Math.abs(m[0]![1]!)).toBeLessThan(0.9);
  });

  it('an all-zero adapter has cosine 0 with everything, itself included', () => {
    const zero = randomAdapter(4, 1, { q_proj: [3, 3] }, 2);
    zero.modules['q_proj']!.loraB.fill(0);
    const m = cosineMatrix([zero, randomAdapter(5, 1, { q_proj: [3, 3] }, 2)], ['q_proj']);
    expect(m[0]).toEqual([0, 0]);
    expect(m[1]![1]).toBeCloseTo(1, 12);
  });
});

describe('blending two task embeddings', () => {
  it('interpolates and keeps the norm √E', () => {
    const next = rng(9);
    const e1 = rand(64, next);
    const e2 = rand(64, next);
    for (const t of [0, 0.3, 1]) {
      const b = blendEmbeddings(e1, e2, t);
      expect(Math.hypot(...b)).toBeCloseTo(8, 4);
      const mix = e1.map((v, i) => (1 - t) * v + t * e2[i]!);
      const k = b[0]! / mix[0]!;
      b.forEach((v, i) => expect(v).toBeCloseTo(mix[i]! * k, 5));
    }
    // Asymmetric weight, against an independent float64 computation: swapping e1 and e2 fails.
    const t = 0.2;
    const want = Array.from(e1, (v, i) => 0.8 * v + 0.2 * e2[i]!);
    const norm = Math.sqrt(want.reduce((s, v) => s + v * v, 0));
    const got = blendEmbeddings(e1, e2, t);
    got.forEach((v, i) => expect(v).toBeCloseTo((want[i]! * 8) / norm, 5));
    expect(() => blendEmbeddings(e1, e2, 1.5)).toThrow('between 0 and 1');
    expect(() => blendEmbeddings(e1, new Float32Array(3), 0.5)).toThrow('64 and 3 values');
  });
});
