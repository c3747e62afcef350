import type { WeightTable } from '../checkpoint/spec';
import { float, int, type GraphBuilder } from './builder';

/** PyTorch nn.LayerNorm's default. */
export const LN_EPS = 1e-5;

/** The 128 MiB default of WebGPU's maxStorageBufferBindingSize: no initializer may exceed it. */
export const DEFAULT_MAX_INITIALIZER_BYTES = 128 * 1024 * 1024;

/** Building blocks of the T2L graph over a checkpoint's weights (PyTorch names and layouts). */
export class Layers {
  constructor(
    readonly g: GraphBuilder,
    readonly w: WeightTable,
    readonly maxInitializerBytes: number = DEFAULT_MAX_INITIALIZER_BYTES,
  ) {}

  const(key: string): string {
    const t = this.w.get(key);
    return this.g.weight(key, t.shape, t.data);
  }

  layerNorm(x: string, key: string): string {
    return this.g.op(
      'LayerNormalization',
      [x, this.const(`${key}.weight`), this.const(`${key}.bias`)],
      {
        axis: int(-1),
        epsilon: float(LN_EPS),
      },
    );
  }

  silu(x: string): string {
    return this.g.op('Mul', [x, this.g.op('Sigmoid', [x])]);
  }

  /** x·Wᵀ + b for a PyTorch Linear (weight [out, in]); columns blocked to respect the size limit. */
  linear(x: string, key: string): string {
    const W = this.w.get(`${key}.weight`);
    const [out, inp] = W.shape as [number, number];
    const y = this.matmulT(x, W.data, out, inp, 0, inp, key);
    return this.w.has(`${key}.bias`) ? this.g.op('Add', [y, this.const(`${key}.bias`)]) : y;
  }

  /**
   * x·W[:, c0:c1]ᵀ: the product with a column range of a PyTorch [out, in] weight, which is stored
   * transposed ([c1-c0, out]) so MatMul applies to inputs of any rank. Weights over the initializer
   * limit become several MatMuls over output-column blocks joined by a Concat.
   */
  matmulT(
    x: string,
    W: Float32Array,
    out: number,
    inp: number,
    c0: number,
    c1: number,
    key: string,
  ): string {
    const rows = c1 - c0;
    const maxCols = Math.max(1, Math.floor(this.maxInitializerBytes / (4 * rows)));
    const parts: string[] = [];
    for (let o0 = 0; o0 < out; o0 += maxCols) {
      const o1 = Math.min(out, o0 + maxCols);
      const block = transposeBlock(W, inp, c0, c1, o0, o1);
      parts.push(this.g.op('MatMul', [x, this.g.weight(`${key}.weightT`, [rows, o1 - o0], block)]));
    }
    return parts.length === 1 ? parts[0]! : this.g.op('Concat', parts, { axis: int(-1) });
  }

  /** MLPResidualBlock: u + SiLU(Linear4(SiLU(Linear1(LN0(u))))). */
  residual(u: string, key: string): string {
    const h = this.layerNorm(u, `${key}.mlp.0`);
    const y = this.silu(this.linear(this.silu(this.linear(h, `${key}.mlp.1`)), `${key}.mlp.4`));
    return this.g.op('Add', [u, y]);
  }

  /** mlp3: SiLU(Linear4(SiLU(Linear1(LN0(u))))), Z → H. */
  mlp3(u: string): string {
    const h = this.layerNorm(u, 'mlp3.0');
    return this.silu(this.linear(this.silu(this.linear(h, 'mlp3.1')), 'mlp3.4'));
  }

  unsqueeze(x: string, axes: number[]): string {
    return this.g.op('Unsqueeze', [x, this.g.int64('axes', axes)]);
  }

  reshape(x: string, shape: number[]): string {
    return this.g.op('Reshape', [x, this.g.int64('shape', shape)]);
  }

  slice(x: string, starts: number[], ends: number[], axes: number[]): string {
    const g = this.g;
    return g.op('Slice', [
      x,
      g.int64('starts', starts),
      g.int64('ends', ends),
      g.int64('axes', axes),
    ]);
  }

  /** Picks index i along `axis`, dropping that axis. */
  pick(x: string, i: number, axis: number): string {
    return this.g.op('Gather', [x, this.g.int64('index', [i], [])], { axis: int(axis) });
  }
}

/** Rows c0..c1 (input features) × columns o0..o1 (outputs) of Wᵀ, for W stored [out, in]. */
function transposeBlock(
  W: Float32Array,
  inp: number,
  c0: number,
  c1: number,
  o0: number,
  o1: number,
): Float32Array {
  const cols = o1 - o0;
  const t = new Float32Array((c1 - c0) * cols);
  for (let o = o0; o < o1; o++) {
    const src = o * inp;
    const dst = o - o0;
    for (let c = c0; c < c1; c++) t[(c - c0) * cols + dst] = W[src + c]!;
  }
  return t;
}
