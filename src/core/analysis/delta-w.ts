import type { GeneratedAdapter } from '../generate';

/**
 * Norms and similarities of LoRA updates ΔW = s·B·A without forming ΔW: for A [r, in] and
 * B [out, r], ‖BA‖²_F = trace((BᵀB)(AAᵀ)) and ⟨B₁A₁, B₂A₂⟩_F = trace((B₁ᵀB₂)(A₂A₁ᵀ)), both r×r
 * products, so a 4096×4096 layer costs O(r²·(in+out)) instead of O(in·out·r).
 */

/** G = X·Yᵀ for X [r, n] and Y [r, n] (row-major): the r×r Gram of two A matrices. */
function gramRows(X: Float32Array, Y: Float32Array, r: number, n: number): Float64Array {
  const g = new Float64Array(r * r);
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < r; j++) {
      let s = 0;
      const xi = i * n;
      const yj = j * n;
      for (let k = 0; k < n; k++) s += X[xi + k]! * Y[yj + k]!;
      g[i * r + j] = s;
    }
  }
  return g;
}

/** G = Xᵀ·Y for X [n, r] and Y [n, r] (row-major): the r×r Gram of two B matrices. */
function gramCols(X: Float32Array, Y: Float32Array, r: number, n: number): Float64Array {
  const g = new Float64Array(r * r);
  for (let k = 0; k < n; k++) {
    const o = k * r;
    for (let i = 0; i < r; i++) {
      const x = X[o + i]!;
      for (let j = 0; j < r; j++) g[i * r + j] = g[i * r + j]! + x * Y[o + j]!;
    }
  }
  return g;
}

/** trace(P·Q) for r×r P, Q. */
function traceOfProduct(P: Float64Array, Q: Float64Array, r: number): number {
  let t = 0;
  for (let i = 0; i < r; i++) for (let k = 0; k < r; k++) t += P[i * r + k]! * Q[k * r + i]!;
  return t;
}

export interface LoraPair {
  /** [r, in] */
  A: Float32Array;
  /** [out, r] */
  B: Float32Array;
  rank: number;
  inFeatures: number;
  outFeatures: number;
}

/** ⟨B₁A₁, B₂A₂⟩_F = trace((B₁ᵀB₂)(A₂A₁ᵀ)); both pairs must share rank and shapes. */
export function loraInner(p: LoraPair, q: LoraPair): number {
  const r = p.rank;
  const bb = gramCols(p.B, q.B, r, p.outFeatures); // B₁ᵀB₂
  const aa = gramRows(q.A, p.A, r, p.inFeatures); // A₂A₁ᵀ
  return traceOfProduct(bb, aa, r);
}

/** ‖BA‖_F. */
export function loraNorm(p: LoraPair): number {
  return Math.sqrt(Math.max(0, loraInner(p, p)));
}

/** The effective scale PEFT applies: alpha/√r with rsLoRA, else alpha/r. */
export function loraScale(alpha: number, rank: number, rslora: boolean): number {
  return rslora ? alpha / Math.sqrt(rank) : alpha / rank;
}

function layerPair(adapter: GeneratedAdapter, module: string, layer: number): LoraPair {
  const m = adapter.modules[module]!;
  const sa = m.rank * m.inFeatures;
  const sb = m.outFeatures * m.rank;
  return {
    A: m.loraA.subarray(layer * sa, (layer + 1) * sa),
    B: m.loraB.subarray(layer * sb, (layer + 1) * sb),
    rank: m.rank,
    inFeatures: m.inFeatures,
    outFeatures: m.outFeatures,
  };
}

/** ‖ΔW‖_F per layer and module (scale included): the heatmap of one adapter, [layers][modules]. */
export function deltaNormTable(
  adapter: GeneratedAdapter,
  modules: string[],
  scale: number,
): number[][] {
  const layers = adapter.modules[modules[0]!]!.layers;
  return Array.from({ length: layers }, (_, l) =>
    modules.map((m) => Math.abs(scale) * loraNorm(layerPair(adapter, m, l))),
  );
}

/**
 * Cosine similarity of two adapters' whole updates (all layers and modules seen as one vector):
 * Σ⟨ΔW₁, ΔW₂⟩ / √(Σ‖ΔW₁‖² · Σ‖ΔW₂‖²). Scales cancel when both use the same one.
 */
export function adapterCosine(a: GeneratedAdapter, b: GeneratedAdapter, modules: string[]): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  const layers = a.modules[modules[0]!]!.layers;
  for (const m of modules) {
    for (let l = 0; l < layers; l++) {
      const p = layerPair(a, m, l);
      const q = layerPair(b, m, l);
      ab += loraInner(p, q);
      aa += loraInner(p, p);
      bb += loraInner(q, q);
    }
  }
  return aa === 0 || bb === 0 ? 0 : ab / Math.sqrt(aa * bb);
}

/**
 * The cosine matrix of several adapters (symmetric). The diagonal is computed like every other
 * entry (1 up to rounding for a non-zero adapter, 0 for an all-zero one), not assumed.
 */
export function cosineMatrix(adapters: GeneratedAdapter[], modules: string[]): number[][] {
  const n = adapters.length;
  const m = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    m[i]![i] = adapterCosine(adapters[i]!, adapters[i]!, modules);
    for (let j = i + 1; j < n; j++)
      m[i]![j] = m[j]![i] = adapterCosine(adapters[i]!, adapters[j]!, modules);
  }
  return m;
}
