/**
 * Weight storage formats for the hypernetwork's large matrices, written straight into the encoded
 * model (see GraphBuilder.lazyInitializer): the PyTorch weight W [out, in] is read in place and never
 * copied whole.
 *
 * - fp32: Wᵀ [in, out] for MatMul.
 * - fp16: Wᵀ as IEEE half, widened by a Cast in the graph (onnxruntime folds it at session creation,
 *   so the arithmetic stays float32).
 * - int8: Wᵀ as int8 with one symmetric scale per output channel (absmax / 127), dequantized by
 *   Cast + Mul in the graph (folded at session creation, like fp16's Cast).
 * - q4: onnxruntime's MatMulNBits layout: W [out, in] quantized in blocks of `blockSize` input
 *   features, 4 bits per weight packed two to a byte (low nibble first), one scale per block and the
 *   default zero point 8, i.e. symmetric: w ≈ (q − 8) · scale.
 */

import { halfBits } from '../adapter/float16';

/** Weight precisions a package can be converted to. */
export type Precision = 'fp32' | 'fp16' | 'int8' | 'q4';
export const PRECISIONS: readonly Precision[] = ['fp32', 'fp16', 'int8', 'q4'];

export function isPrecision(v: unknown): v is Precision {
  return typeof v === 'string' && (PRECISIONS as readonly string[]).includes(v);
}

/** Block sizes MatMulNBits accepts on every onnxruntime provider. */
export const Q4_BLOCK_SIZES = [16, 32, 64, 128] as const;
export const DEFAULT_Q4_BLOCK_SIZE = 32;

// Destination rows handled together by the banded transposes: each band reads W[o, c0..c0+BAND]
// (one cache line of float32) for every output o, so the source is read sequentially.
const BAND = 16;

/**
 * The W rows (PyTorch output features) that become the output columns of one weight block, in
 * order: a plain range, or any selection and permutation of rows (the L heads' B part is stored
 * column-permuted so that the product comes out in lora_B's layout).
 */
export type RowSelection = Int32Array;

export function rowRange(o0: number, o1: number): RowSelection {
  const rows = new Int32Array(o1 - o0);
  for (let i = 0; i < rows.length; i++) rows[i] = o0 + i;
  return rows;
}

/**
 * Calls `row(c, values)` for every input feature c in [c0, c1) with values[j] = W[rows[j], c]: the
 * rows of Wᵀ restricted to the selected output columns. `values` is reused between calls.
 */
export function forEachTransposedRow(
  W: Float32Array,
  inp: number,
  c0: number,
  c1: number,
  rows: RowSelection,
  row: (c: number, values: Float32Array) => void,
): void {
  const cols = rows.length;
  const band = new Float32Array(BAND * cols);
  for (let b0 = c0; b0 < c1; b0 += BAND) {
    const width = Math.min(c1, b0 + BAND) - b0;
    for (let j = 0; j < cols; j++) {
      const src = rows[j]! * inp + b0;
      for (let i = 0; i < width; i++) band[i * cols + j] = W[src + i]!;
    }
    for (let i = 0; i < width; i++) row(b0 + i, band.subarray(i * cols, (i + 1) * cols));
  }
}

/** Wᵀ[c0:c1, rows] as float32, written into `dst` (4-byte aligned, (c1-c0)·rows.length floats). */
export function writeTransposedF32(
  dst: Uint8Array,
  W: Float32Array,
  inp: number,
  c0: number,
  c1: number,
  rows: RowSelection,
): void {
  const cols = rows.length;
  const out = new Float32Array(dst.buffer, dst.byteOffset, (c1 - c0) * cols);
  // Banded transpose straight into the destination: no intermediate buffer.
  for (let b0 = c0; b0 < c1; b0 += BAND) {
    const width = Math.min(c1, b0 + BAND) - b0;
    const base = (b0 - c0) * cols;
    for (let j = 0; j < cols; j++) {
      const src = rows[j]! * inp + b0;
      for (let i = 0; i < width; i++) out[base + i * cols + j] = W[src + i]!;
    }
  }
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → IEEE half bits, round to nearest even (as PyTorch's .half()). */
export function toHalfBits(value: number): number {
  f32[0] = value;
  return halfBits(u32[0]!);
}

/** Wᵀ[c0:c1, rows] as float16 bits into `dst` (2-byte aligned). */
export function writeTransposedF16(
  dst: Uint8Array,
  W: Float32Array,
  inp: number,
  c0: number,
  c1: number,
  rows: RowSelection,
): void {
  const cols = rows.length;
  const out = new Uint16Array(dst.buffer, dst.byteOffset, (c1 - c0) * cols);
  forEachTransposedRow(W, inp, c0, c1, rows, (c, values) => {
    const base = (c - c0) * cols;
    for (let o = 0; o < cols; o++) out[base + o] = toHalfBits(values[o]!);
  });
}

/** IEEE half bits → float32 value (exact). */
export function fromHalfBits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** float32 values as float16 bits (biases and small tensors stored in half precision). */
export function writeF16(dst: Uint8Array, values: Float32Array): void {
  const out = new Uint16Array(dst.buffer, dst.byteOffset, values.length);
  for (let i = 0; i < values.length; i++) out[i] = toHalfBits(values[i]!);
}

/** Per-output-channel symmetric int8 scales of the selected rows of W [out, in] (columns c0..c1): absmax / 127. */
export function int8Scales(
  W: Float32Array,
  inp: number,
  c0: number,
  c1: number,
  rows: RowSelection,
): Float32Array {
  const scales = new Float32Array(rows.length);
  for (let o = 0; o < rows.length; o++) {
    let m = 0;
    const base = rows[o]! * inp;
    for (let c = c0; c < c1; c++) {
      const a = Math.abs(W[base + c]!);
      if (a > m) m = a;
    }
    // An all-zero channel gets scale 1: its values quantize to 0 whatever the scale.
    scales[o] = m > 0 ? m / 127 : 1;
  }
  return scales;
}

/**
 * Wᵀ[c0:c1, rows] quantized with the channel scales (one per selected row; rounded to nearest,
 * clamped to ±127).
 */
export function writeTransposedInt8(
  dst: Uint8Array,
  W: Float32Array,
  inp: number,
  scales: Float32Array,
  c0: number,
  c1: number,
  rows: RowSelection,
): void {
  const cols = rows.length;
  const out = new Int8Array(dst.buffer, dst.byteOffset, (c1 - c0) * cols);
  const inv = new Float32Array(cols);
  for (let o = 0; o < cols; o++) inv[o] = 1 / scales[o]!;
  forEachTransposedRow(W, inp, c0, c1, rows, (c, values) => {
    const base = (c - c0) * cols;
    for (let o = 0; o < cols; o++) {
      const q = Math.round(values[o]! * inv[o]!);
      out[base + o] = q > 127 ? 127 : q < -127 ? -127 : q;
    }
  });
}

/**
 * The same int8 values stored as uint8 with zero point 128 (flipping the sign bit adds 128), for
 * DynamicQuantizeMatMul: onnxruntime's AVX2 kernel for uint8 activations × int8 weights adds
 * products pairwise in saturating 16-bit lanes, which clipped full-range int8 weights (cosine 0.978
 * against float32 on a T2L head here); its uint8 × uint8 kernel widens first and does not.
 */
export function writeTransposedUint8(
  dst: Uint8Array,
  W: Float32Array,
  inp: number,
  scales: Float32Array,
  c0: number,
  c1: number,
  rows: RowSelection,
): void {
  writeTransposedInt8(dst, W, inp, scales, c0, c1, rows);
  const n = (c1 - c0) * rows.length;
  for (let i = 0; i < n; i++) dst[i]! ^= 0x80;
}

/** Shapes of the MatMulNBits inputs for K input and N output features. */
export function q4Layout(K: number, N: number, blockSize: number) {
  const blocks = Math.ceil(K / blockSize);
  const blobSize = blockSize / 2;
  return { blocks, blobSize, packedBytes: N * blocks * blobSize, scaleCount: N * blocks };
}

/**
 * The selected rows of W [out, in] (input columns c0..c1, so K = c1 − c0) in MatMulNBits' 4-bit
 * layout: `packed` [rows, blocks, blockSize/2] and `scales` [rows·blocks]. Symmetric per block with
 * MatMulNBits' default zero point 8: w ≈ (q − 8)·scale, q in 0..15. The value of largest magnitude
 * in a block maps to level −8 (scale = that value / −8), so the 16 levels cover [−8, 7]·|scale| with
 * the extreme exact; the levels are chosen with the scale rounded as it is stored (`halfScales`:
 * float16). (Choosing each block's scale for least squared error raised the mean cosine of the
 * conformance adapters a little but lowered the minimum, which is what counts.)
 */
export function quantizeQ4(
  W: Float32Array,
  inp: number,
  c0: number,
  c1: number,
  rows: RowSelection,
  blockSize: number,
  packed: Uint8Array,
  scales: Float32Array,
  halfScales = false,
): void {
  const K = c1 - c0;
  const { blocks, blobSize } = q4Layout(K, rows.length, blockSize);
  const round = halfScales ? (x: number) => fromHalfBits(toHalfBits(x)) : Math.fround;
  for (let o = 0; o < rows.length; o++) {
    const row = rows[o]! * inp + c0;
    for (let b = 0; b < blocks; b++) {
      const k0 = row + b * blockSize;
      const k1 = row + Math.min(K, (b + 1) * blockSize);
      let extreme = 0;
      for (let k = k0; k < k1; k++) {
        const v = W[k]!;
        if (Math.abs(v) > Math.abs(extreme)) extreme = v;
      }
      // The largest magnitude maps exactly to level −8 (as exactly as the stored scale allows).
      const scale = extreme === 0 ? 0 : round(extreme / -8);
      const slot = o * blocks + b;
      scales[slot] = scale;
      const inv = scale === 0 ? 0 : 1 / scale;
      const base = slot * blobSize;
      for (let k = k0; k < k1; k += 2) {
        const lo = quant4(W[k]! * inv);
        const hi = k + 1 < k1 ? quant4(W[k + 1]! * inv) : 8;
        packed[base + ((k - k0) >> 1)] = lo | (hi << 4);
      }
      // Padding past K (last block) stays at the zero level 8 in both nibbles.
      for (let k = k1 + ((k1 - k0) & 1); k < k0 + blockSize; k += 2) {
        packed[base + ((k - k0) >> 1)] = 0x88;
      }
    }
  }
}

function quant4(x: number): number {
  const q = Math.round(x) + 8;
  return q < 0 ? 0 : q > 15 ? 15 : q;
}

/** The float32 values a MatMulNBits weight stands for, [N, K] (tests and error estimates). */
export function dequantizeQ4(
  packed: Uint8Array,
  scales: Float32Array,
  K: number,
  N: number,
  blockSize: number,
): Float32Array {
  const { blocks, blobSize } = q4Layout(K, N, blockSize);
  const W = new Float32Array(N * K);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const b = Math.floor(k / blockSize);
      const byte = packed[(n * blocks + b) * blobSize + ((k % blockSize) >> 1)]!;
      const q = k % 2 === 0 ? byte & 15 : byte >> 4;
      W[n * K + k] = (q - 8) * scales[n * blocks + b]!;
    }
  }
  return W;
}
