import type { WeightTable } from '../checkpoint/spec';
import { DataType, float, int, ints, MS_DOMAIN, type GraphBuilder } from './builder';
import {
  DEFAULT_Q4_BLOCK_SIZE,
  int8Scales,
  q4Layout,
  quantizeQ4,
  rowRange,
  writeF16,
  writeTransposedF16,
  writeTransposedF32,
  writeTransposedUint8,
  type Precision,
  type RowSelection,
} from './quantize';

/** PyTorch nn.LayerNorm's default. */
export const LN_EPS = 1e-5;

/** The 128 MiB default of WebGPU's maxStorageBufferBindingSize: no initializer may exceed it. */
export const DEFAULT_MAX_INITIALIZER_BYTES = 128 * 1024 * 1024;

/** How the graph stores its matrix weights. */
export interface WeightFormat {
  precision: Precision;
  /** q4: input features per quantization block (16, 32, 64 or 128). */
  blockSize: number;
  /**
   * int8 and q4: Linear weights other than the heads are stored as int8 when they have at least
   * this many elements (the 4Z-wide MLP layers of the Z = 512 checkpoints); smaller ones stay float32.
   */
  minQuantizedElements: number;
  /** q4: block scales stored as float16 and widened by a Cast (halves their size). */
  halfScales: boolean;
  /**
   * q4: MatMulNBits' accuracy_level, the least precise arithmetic the provider may use for the
   * activations: 0 (float32 as given) or 4 (int8, quantized per block on the fly).
   */
  accuracyLevel: 0 | 4;
}

export const DEFAULT_MIN_QUANTIZED_ELEMENTS = 1 << 20;

/** Constant columns (−1, 1) appended to an int8 product's input to pin its quantization range. */
export const INT8_PIN_COLUMNS = 2;

export const FP32_FORMAT: WeightFormat = {
  precision: 'fp32',
  blockSize: DEFAULT_Q4_BLOCK_SIZE,
  minQuantizedElements: DEFAULT_MIN_QUANTIZED_ELEMENTS,
  halfScales: true,
  accuracyLevel: 4,
};

/** Building blocks of the T2L graph over a checkpoint's weights (PyTorch names and layouts). */
export class Layers {
  /** Weights stored in each format, by checkpoint key (reported in the package manifest). */
  readonly stored = new Map<string, Precision>();
  private readonly pinned = new Map<string, { normed: string; rowMax: string }>();

  constructor(
    readonly g: GraphBuilder,
    readonly w: WeightTable,
    readonly maxInitializerBytes: number = DEFAULT_MAX_INITIALIZER_BYTES,
    readonly format: WeightFormat = FP32_FORMAT,
  ) {}

  /**
   * The storage of a matrix weight with `elements` values. Heads (the bulk of every checkpoint) take
   * the package's precision. Other Linear weights with at least minQuantizedElements values take
   * int8 in int8 and q4 packages: 4-bit noise in the shared MLPs passes through every later layer
   * (min cosine 0.95 on the conformance checkpoints, against 0.995 with 4-bit heads only). Smaller
   * ones stay float32, except in fp16 packages, where every matrix is half precision.
   */
  formatFor(elements: number, head: boolean): Precision {
    const p = this.format.precision;
    if (p === 'fp32' || p === 'fp16' || head) return p;
    return elements >= this.format.minQuantizedElements ? 'int8' : 'fp32';
  }

  const(key: string): string {
    const t = this.w.get(key);
    return this.g.weight(key, t.shape, t.data);
  }

  /** A float32 constant stored as float16 and widened by a Cast (folded at session creation). */
  halfConst(prefix: string, dims: number[], data: Float32Array): string {
    const half = this.g.lazyInitializer(
      `${prefix}_f16`,
      dims,
      DataType.FLOAT16,
      2 * data.length,
      (dst) => writeF16(dst, data),
    );
    return this.g.op('Cast', [half], { to: int(DataType.FLOAT) });
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

  /**
   * x·Wᵀ + b for a PyTorch Linear (weight [out, in]); columns blocked to respect the size limit.
   * `head` marks the per-module heads, which int8 and q4 always quantize.
   */
  linear(x: string, key: string, head = false): string {
    const W = this.w.get(`${key}.weight`);
    const [out, inp] = W.shape as [number, number];
    const format = this.formatFor(out * inp, head);
    this.stored.set(`${key}.weight`, format);
    const y = this.matmulT(x, W.data, out, inp, 0, inp, key, format);
    return this.w.has(`${key}.bias`) ? this.g.op('Add', [y, this.const(`${key}.bias`)]) : y;
  }

  /**
   * x·W[rows, c0:c1]ᵀ: the product with a column range of a PyTorch [out, in] weight, for all its
   * rows (output features) or a selection of them in any order (`rows`). float32, float16 and int8
   * weights are stored transposed ([c1-c0, rows]) so (DynamicQuantize)MatMul applies to inputs of
   * any rank; q4 ones in MatMulNBits' [rows, blocks, block/2] layout. Weights over the initializer
   * limit become several products over output-column blocks joined by a Concat; float16 blocks are
   * sized by their float32 width, since the Cast produces a float32 tensor that size.
   */
  matmulT(
    x: string,
    W: Float32Array,
    out: number,
    inp: number,
    c0: number,
    c1: number,
    key: string,
    format: Precision = 'fp32',
    rows: RowSelection = rowRange(0, out),
  ): string {
    const K = c1 - c0;
    const bytesPerColumn =
      format === 'q4'
        ? q4Layout(K, 1, this.format.blockSize).packedBytes
        : format === 'int8'
          ? K + INT8_PIN_COLUMNS
          : 4 * K;
    const maxCols = Math.max(1, Math.floor(this.maxInitializerBytes / bytesPerColumn));
    const parts: string[] = [];
    for (let j0 = 0; j0 < rows.length; j0 += maxCols) {
      const block = rows.subarray(j0, Math.min(rows.length, j0 + maxCols));
      parts.push(
        format === 'q4'
          ? this.matMulQ4(x, W, inp, c0, c1, block, key)
          : format === 'int8'
            ? this.matMulInt8(x, W, inp, c0, c1, block, key)
            : this.g.op('MatMul', [x, this.transposedWeight(W, inp, c0, c1, block, key, format)]),
      );
    }
    return parts.length === 1 ? parts[0]! : this.g.op('Concat', parts, { axis: int(-1) });
  }

  /** Wᵀ[c0:c1, rows] as a float32 value of the graph, stored in `format`. */
  private transposedWeight(
    W: Float32Array,
    inp: number,
    c0: number,
    c1: number,
    rows: RowSelection,
    key: string,
    format: Precision,
  ): string {
    const g = this.g;
    const dims = [c1 - c0, rows.length];
    const n = dims[0]! * dims[1]!;
    switch (format) {
      case 'fp32':
        return g.lazyInitializer(`${key}.weightT`, dims, DataType.FLOAT, 4 * n, (dst) =>
          writeTransposedF32(dst, W, inp, c0, c1, rows),
        );
      case 'fp16': {
        const half = g.lazyInitializer(`${key}.weightT_f16`, dims, DataType.FLOAT16, 2 * n, (dst) =>
          writeTransposedF16(dst, W, inp, c0, c1, rows),
        );
        return g.op('Cast', [half], { to: int(DataType.FLOAT) });
      }
      case 'int8':
      case 'q4':
        throw new Error(`${format} weights go through their own product`);
    }
  }

  /**
   * x·W[rows, c0:c1]ᵀ with 8-bit weights (symmetric, one scale per output channel) through
   * onnxruntime's DynamicQuantizeMatMul (com.microsoft): x is quantized to uint8 on the fly and
   * multiplied in integers. The weights stay 8-bit in memory, and it was the fastest product
   * measured at a T2L-L head's shape: in onnxruntime-node 217 GFLOP/s against float32 MatMul's
   * 104–123, in onnxruntime-web's wasm 46 against 41 (and 17 for 4-bit MatMulNBits), with cosine
   * 0.99998 to float32.
   *
   * DynamicQuantizeMatMul takes one activation scale for the whole tensor, from its min and max, so
   * on its own a row's result would depend on the other rows of the batch. Each row of x is
   * therefore divided by its own absolute maximum s (into [-1, 1]), two constant columns −1 and 1
   * (against two zero rows of the weight: they add exactly nothing) pin the tensor's range to
   * [-1, 1] whatever the batch holds, and the product is multiplied by s again. Every row is then
   * quantized with its own scale s/127.5 and an adapter is the same, bit for bit, alone or in any
   * batch ('per-row' activations in the manifest). Packages written before this quantized the
   * whole tensor at once and are run one task embedding at a time (rowsShareQuantization).
   */
  private matMulInt8(
    x: string,
    W: Float32Array,
    inp: number,
    c0: number,
    c1: number,
    rows: RowSelection,
    key: string,
  ): string {
    const g = this.g;
    const K = c1 - c0;
    const dims = [K + INT8_PIN_COLUMNS, rows.length];
    const scales = int8Scales(W, inp, c0, c1, rows);
    const q = g.lazyInitializer(
      `${key}.weightT_u8`,
      dims,
      DataType.UINT8,
      dims[0]! * dims[1]!,
      (dst) => {
        writeTransposedUint8(dst, W, inp, scales, c0, c1, rows);
        dst.fill(128, K * rows.length); // the pin columns' rows: zero after the zero point
      },
    );
    const zeroPoint = g.lazyInitializer(
      `${key}.zero_point`,
      [rows.length],
      DataType.UINT8,
      rows.length,
      (dst) => dst.fill(128),
    );
    const scale = g.weight(`${key}.scale`, [rows.length], scales);
    const { normed, rowMax } = this.pinnedRows(x);
    const y = g.op('DynamicQuantizeMatMul', [normed, q, scale, zeroPoint], {}, MS_DOMAIN);
    return g.op('Mul', [y, rowMax]);
  }

  /**
   * x [..., K] as [..., K + 2]: each row divided by its absolute maximum (rowMax [..., 1], at
   * least the smallest normal float so that an all-zero row stays zero), then the columns −1 and 1.
   * One per input value of the graph: products that share x (a weight split over several
   * initializers, the A and B parts of a head) share it too.
   */
  private pinnedRows(x: string): { normed: string; rowMax: string } {
    const cached = this.pinned.get(x);
    if (cached) return cached;
    const g = this.g;
    const absMax = g.op('ReduceMax', [g.op('Abs', [x])], { axes: ints([-1]), keepdims: int(1) });
    const rowMax = g.op('Max', [absMax, g.weight('min_normal', [], Float32Array.of(2 ** -126))]);
    const unit = g.op('Div', [x, rowMax]);
    // x·0 + [-1, 1]: the pin columns with x's leading dimensions, without shape arithmetic (x is finite).
    const zeros = g.op('Mul', [
      this.slice(unit, [0], [INT8_PIN_COLUMNS], [-1]),
      g.weight('zero', [], Float32Array.of(0)),
    ]);
    const pins = g.op('Add', [zeros, g.weight('pins', [INT8_PIN_COLUMNS], Float32Array.of(-1, 1))]);
    const result = { normed: g.op('Concat', [unit, pins], { axis: int(-1) }), rowMax };
    this.pinned.set(x, result);
    return result;
  }

  /** x·W[rows, c0:c1]ᵀ with onnxruntime's MatMulNBits (4 bits, symmetric blocks). */
  private matMulQ4(
    x: string,
    W: Float32Array,
    inp: number,
    c0: number,
    c1: number,
    rows: RowSelection,
    key: string,
  ): string {
    const g = this.g;
    const K = c1 - c0;
    const N = rows.length;
    const { blockSize, halfScales } = this.format;
    const { blocks, blobSize, packedBytes, scaleCount } = q4Layout(K, N, blockSize);
    // Quantized once, when the model is encoded; the scales are filled by the packed weight's fill,
    // which always runs first (initializers are written in the order they were added).
    const scaleValues = new Float32Array(scaleCount);
    const packed = g.lazyInitializer(
      `${key}.q4`,
      [N, blocks, blobSize],
      DataType.UINT8,
      packedBytes,
      (dst) => quantizeQ4(W, inp, c0, c1, rows, blockSize, dst, scaleValues, halfScales),
    );
    let scales: string;
    if (halfScales) {
      const half = g.lazyInitializer(
        `${key}.q4_scales_f16`,
        [scaleCount],
        DataType.FLOAT16,
        2 * scaleCount,
        (dst) => writeF16(dst, scaleValues),
      );
      scales = g.op('Cast', [half], { to: int(DataType.FLOAT) });
    } else {
      scales = g.lazyInitializer(
        `${key}.q4_scales`,
        [scaleCount],
        DataType.FLOAT,
        4 * scaleCount,
        (dst) => new Float32Array(dst.buffer, dst.byteOffset, scaleCount).set(scaleValues),
      );
    }
    return g.op(
      'MatMulNBits',
      [x, packed, scales],
      {
        K: int(K),
        N: int(N),
        bits: int(4),
        block_size: int(blockSize),
        ...(this.format.accuracyLevel ? { accuracy_level: int(this.format.accuracyLevel) } : {}),
      },
      MS_DOMAIN,
    );
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
