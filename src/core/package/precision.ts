import type { Backend } from '../runtime/types';
import type { Precision } from './manifest';

/** What each package precision is, for pickers and help texts. */
export const PRECISION_INFO: Record<Precision, { label: string; description: string }> = {
  fp32: {
    label: 'float32',
    description: 'The reference numbers, exactly. Largest download (4 bytes a weight).',
  },
  fp16: {
    label: 'float16 weights',
    description:
      'Matrices stored in half precision and widened to float32 when loaded: half the download, float32 speed and memory, adapters within float16 rounding (relative error ~1e-3).',
  },
  int8: {
    label: 'int8 weights',
    description:
      'Heads and wide MLP layers in 8 bits, one scale per output channel, widened to float32 when loaded: about a quarter of the download, cosine ≥ 0.999 to float32.',
  },
  q4: {
    label: '4-bit weights',
    description:
      "Heads in 4 bits (blocks of 32, onnxruntime's MatMulNBits: they stay 4-bit in memory), wide MLP layers in 8: about a fifth of the download, cosine ≥ 0.99 to float32. Least memory; in wasm about half float32's speed.",
  },
};

/** Above this many parameters, the wasm default is 4-bit (see defaultPrecisionFor). */
export const WASM_FLOAT_WEIGHTS_MAX_PARAMS = 100_000_000;

/**
 * The precision a package is converted to by default for a backend (docs/benchmarks.md has the
 * measurements behind it):
 * - Node (cpu, cuda): fp32, the exact reference numbers.
 * - WebGPU: q4. MatMulNBits keeps the weights 4-bit in GPU memory and is onnxruntime's fast path
 *   on GPUs.
 * - wasm: int8 for checkpoints up to 100M parameters (Mistral's T2L-L: 66M): a quarter of the
 *   download and cosine ≥ 0.999, widened to float32 when the session is created, so it runs at
 *   float32 speed: about 100 ms a Mistral-L generation in the benchmark, against about 206 ms for
 *   q4 (onnxruntime-web's wasm MatMulNBits runs at half its MatMul's rate). Larger checkpoints
 *   (the Llama and Gemma T2Ls, 140–240M) get q4, whose weights stay 4-bit in the wasm heap
 *   instead of taking a gigabyte there.
 */
export function defaultPrecisionFor(
  backend: Backend,
  checkpoint: { paramCount?: number } = {},
): Precision {
  switch (backend) {
    case 'cpu':
    case 'cuda':
      return 'fp32';
    case 'webgpu':
      return 'q4';
    case 'wasm':
      return (checkpoint.paramCount ?? Infinity) <= WASM_FLOAT_WEIGHTS_MAX_PARAMS ? 'int8' : 'q4';
  }
}
