/**
 * A plain, unbatched re-statement of the reference forward pass (HyperModulator._hypernet_forward
 * and gen_lora), one (layer, module) at a time with explicit concatenation, written independently
 * of the ONNX graph builder. It is checked against the conformance vectors, then used to check the
 * graph on checkpoints of other sizes.
 */
import type { T2LSpec } from '../../src/core/checkpoint/spec';
import type { Tensor } from '../../src/core/tensor';

type Vec = Float64Array;

export interface ReferenceOutput {
  encoded: Vec;
  modules: Record<string, { A: Vec[]; B: Vec[] }>; // per layer: A [r*in] row-major, B [out*r] row-major
}

export function referenceForward(
  spec: T2LSpec,
  weights: Map<string, Tensor>,
  taskEmb: ArrayLike<number>,
): ReferenceOutput {
  const W = (k: string) => {
    const t = weights.get(k);
    if (!t) throw new Error(`reference: missing ${k}`);
    return t;
  };
  const linear = (x: Vec, key: string): Vec => {
    const w = W(`${key}.weight`);
    const [out, inp] = w.shape as [number, number];
    const b = weights.get(`${key}.bias`);
    const y = new Float64Array(out);
    for (let o = 0; o < out; o++) {
      let s = b ? b.data[o]! : 0;
      for (let i = 0; i < inp; i++) s += w.data[o * inp + i]! * x[i]!;
      y[o] = s;
    }
    return y;
  };
  const ln = (x: Vec, key: string): Vec => {
    const g = W(`${key}.weight`).data;
    const b = W(`${key}.bias`).data;
    let mean = 0;
    for (const v of x) mean += v;
    mean /= x.length;
    let variance = 0;
    for (const v of x) variance += (v - mean) ** 2;
    variance /= x.length;
    const inv = 1 / Math.sqrt(variance + 1e-5);
    return x.map((v, i) => (v - mean) * inv * g[i]! + b[i]!);
  };
  const silu = (x: Vec): Vec => x.map((v) => v / (1 + Math.exp(-v)));
  const add = (a: Vec, b: Vec): Vec => a.map((v, i) => v + b[i]!);
  const residual = (u: Vec, key: string) =>
    add(u, silu(linear(silu(linear(ln(u, `${key}.mlp.0`), `${key}.mlp.1`)), `${key}.mlp.4`)));
  const mlp3 = (u: Vec) => silu(linear(silu(linear(ln(u, 'mlp3.0'), 'mlp3.1')), 'mlp3.4'));
  const row = (key: string, i: number): Vec => {
    const t = W(key);
    const n = t.shape[1]!;
    return Float64Array.from(t.data.subarray(i * n, (i + 1) * n));
  };
  const Z = spec.latentSize;
  const r = spec.rank;
  const rope = (u: Vec, k: number): Vec => {
    const half = Z / 2;
    const out = new Float64Array(Z);
    for (let j = 0; j < Z; j++) {
      const jj = j % half;
      const f = k * Math.pow(10000, -(2 * jj) / Z);
      const rot = j < half ? -u[j + half]! : u[j - half]!;
      out[j] = u[j]! * Math.cos(f) + rot * Math.sin(f);
    }
    return out;
  };
  const posEmb = (k: number) => ln(row('pos_emb.0.weight', k), 'pos_emb.1');

  const encoded = ln(
    linear(Float64Array.from(taskEmb), 'task_encoder.mlp.0'),
    'task_encoder.mlp.1',
  );
  const modules: ReferenceOutput['modules'] = {};
  spec.modules.forEach((m, mi) => {
    const head = (x: Vec) => linear(x, `heads.${m.name}`);
    const res = { A: [] as Vec[], B: [] as Vec[] };
    for (let l = 0; l < spec.layers; l++) {
      const d = ln(row('layer_depth_encoder.0.weight', l), 'layer_depth_encoder.1');
      const t = ln(row('layer_type_encoder.0.weight', mi), 'layer_type_encoder.1');
      const cat = new Float64Array(Z);
      cat.set(encoded, 0);
      cat.set(d, Z / 2);
      cat.set(t, (3 * Z) / 4);
      const h1 = residual(silu(linear(silu(linear(cat, 'mixer.1')), 'mixer.4')), 'mlp1');
      let A: Vec = new Float64Array(r * m.inFeatures);
      let Bt: Vec = new Float64Array(r * m.outFeatures); // [r, out]
      if (spec.variant === 'L') {
        const y = head(mlp3(residual(h1, 'mlp2')));
        A = y.slice(0, r * m.inFeatures);
        Bt = y.slice(r * m.inFeatures);
      } else if (spec.variant === 'autoreg-unshared') {
        for (let k = 0; k < r; k++) {
          const g =
            spec.positions === 'learned'
              ? residual(add(h1, posEmb(k)), 'mlp2')
              : residual(rope(h1, k), 'mlp2');
          const y = head(mlp3(g));
          A.set(y.subarray(0, m.inFeatures), k * m.inFeatures);
          Bt.set(y.subarray(m.inFeatures, m.inFeatures + m.outFeatures), k * m.outFeatures);
        }
      } else {
        for (const [X, width, target] of [
          ['A', m.inFeatures, A],
          ['B', m.outFeatures, Bt],
        ] as const) {
          const oe = ln(Float64Array.from(W(`out_emb.${m.name}.${X}`).data), 'out_emb_norm');
          const g = residual(add(h1, oe), 'mlp2');
          for (let k = 0; k < r; k++) {
            let y: Vec;
            if (spec.variant === 'M') {
              const full = head(mlp3(g));
              const max = full.length / r;
              y = full.subarray(k * max, k * max + width);
            } else {
              const gk =
                spec.positions === 'learned'
                  ? add(g, residual(posEmb(k), 'mlp2'))
                  : residual(rope(g, k), 'mlp2');
              y = head(mlp3(gk)).subarray(0, width);
            }
            target.set(y.subarray(0, width), k * width);
          }
        }
      }
      // Bᵀ [r, out] → B [out, r]
      let B: Vec = new Float64Array(m.outFeatures * r);
      for (let k = 0; k < r; k++)
        for (let o = 0; o < m.outFeatures; o++) B[o * r + k] = Bt[k * m.outFeatures + o]!;
      const layerSlice = (key: string, size: number) =>
        Float64Array.from(W(key).data.subarray(l * size, (l + 1) * size));
      const sizeA = r * m.inFeatures;
      const sizeB = m.outFeatures * r;
      if (spec.trainingTask === 'sft') {
        A = add(A, layerSlice(`AB_offset.A.${m.name}`, sizeA));
        B = add(B, layerSlice(`AB_offset.B.${m.name}`, sizeB));
      } else if (spec.factorized) {
        if (spec.predZScore) {
          const z = (v: Vec, X: string, size: number) => {
            const std = layerSlice(`std_recon_target.${X}.${m.name}`, size);
            const mean = layerSlice(`mean_recon_target.${X}.${m.name}`, size);
            return v.map((x, i) => x * (std[i]! + 1e-10) + mean[i]!);
          };
          A = z(A, 'A', sizeA);
          B = z(B, 'B', sizeB);
        }
        A = add(A, layerSlice(`AB_offset.A.${m.name}`, sizeA));
        B = add(B, layerSlice(`AB_offset.B.${m.name}`, sizeB));
      } else {
        const s = Math.sqrt(spec.deltaWScaling);
        A = A.map((v) => v / s);
        B = B.map((v) => v / s);
      }
      res.A.push(A);
      res.B.push(B);
    }
    modules[m.name] = res;
  });
  return { encoded, modules };
}
