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
      'Weights stored in half precision, computed in float32: half the size, adapters within float16 rounding (relative error ~1e-3).',
  },
  int8: {
    label: 'int8 weights',
    description:
      'Per-output-channel 8-bit heads (and wide MLP layers): a quarter of the size, cosine ≥ 0.999 to float32. Computed in float32.',
  },
  q4: {
    label: '4-bit weights',
    description:
      "4-bit heads in blocks of 32 (onnxruntime's MatMulNBits, computed without widening them), 8-bit MLP layers: about a fifth of the size, cosine ≥ 0.99 to float32.",
  },
};

/**
 * The precision a package is converted to by default for a backend: 4-bit where the download and
 * the memory are what limit (the browser, WebGPU and wasm alike), float32, the exact reference
 * numbers, in Node (CPU or CUDA).
 */
export function defaultPrecisionFor(backend: Backend): Precision {
  return backend === 'webgpu' || backend === 'wasm' ? 'q4' : 'fp32';
}
