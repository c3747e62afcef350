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
      'Heads and wide MLP layers in 8 bits, one scale per output channel, multiplied in integers (DynamicQuantizeMatMul): about a quarter of the download and memory, the fastest on CPU and wasm, cosine ≥ 0.999 to float32; each description is quantized with its own scale, so batches stay exact.',
  },
  q4: {
    label: '4-bit weights',
    description:
      "Heads in 4 bits (blocks of 32, onnxruntime's MatMulNBits: they stay 4-bit in memory), wide MLP layers in 8: about a fifth of the download, cosine ≥ 0.99 to float32. Least memory; in wasm about half float32's speed.",
  },
};

/**
 * The precision a package is converted to by default for a backend (docs/benchmarks.md has the
 * measurements behind it):
 * - Node (cpu, cuda): fp32, the exact reference numbers.
 * - WebGPU: q4. MatMulNBits keeps the weights 4-bit in GPU memory and is onnxruntime's fast path
 *   on GPUs (int8's DynamicQuantizeMatMul has no WebGPU kernel and runs on the CPU there).
 * - wasm: int8, for every checkpoint size. DynamicQuantizeMatMul keeps the weights 8-bit in the
 *   wasm heap and was the fastest there: a generation in 81 ms for Mistral's T2L-L (fp32 111,
 *   q4 233), 113 ms for Gemma's (q4 545) and 231 ms for Llama's (q4 1009), cosine ≥ 0.999.
 */
export function defaultPrecisionFor(backend: Backend): Precision {
  switch (backend) {
    case 'cpu':
    case 'cuda':
      return 'fp32';
    case 'webgpu':
      return 'q4';
    case 'wasm':
      return 'int8';
  }
}
