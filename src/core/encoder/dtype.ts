import type { Backend } from '../runtime/types';

/** transformers.js model dtypes that the text encoder can be loaded with. */
export type EncoderDtype = 'fp32' | 'fp16' | 'q8' | 'q4';
export const ENCODER_DTYPES: readonly EncoderDtype[] = ['fp32', 'fp16', 'q8', 'q4'];

/**
 * The ONNX file of each dtype inside a transformers.js model folder (transformers.js 3/4's
 * DEFAULT_DTYPE_SUFFIX_MAPPING: model{suffix}.onnx under onnx/).
 */
export const ENCODER_DTYPE_FILES: Readonly<Record<EncoderDtype, string>> = {
  fp32: 'onnx/model.onnx',
  fp16: 'onnx/model_fp16.onnx',
  q8: 'onnx/model_quantized.onnx',
  q4: 'onnx/model_q4.onnx',
};

export interface EncoderDtypeChoice {
  dtype: EncoderDtype;
  /** One sentence for the UI: why this one. */
  reason: string;
}

/**
 * The text encoder's default dtype (gte-large, 435M parameters: 1.7 GB in fp32) for where it runs:
 * - WebGPU with `shader-f16`: fp16, half the download and native half arithmetic on the GPU;
 * - WebGPU without it: q4 (MatMulNBits, which the WebGPU provider runs; q8's integer ops would fall
 *   back to the CPU);
 * - wasm: q8, a quarter of the download, with fast int8 kernels on the CPU;
 * - Node (cpu, cuda): fp32, the reference's own precision.
 * The app shows the choice and lets the user override it.
 */
export function defaultEncoderDtype(env: { backend: Backend; shaderF16?: boolean }): EncoderDtype {
  return encoderDtypeChoice(env).dtype;
}

export function encoderDtypeChoice(env: {
  backend: Backend;
  shaderF16?: boolean;
}): EncoderDtypeChoice {
  switch (env.backend) {
    case 'webgpu':
      return env.shaderF16
        ? { dtype: 'fp16', reason: 'WebGPU with shader-f16: half precision on the GPU' }
        : {
            dtype: 'q4',
            reason: 'WebGPU without shader-f16: 4-bit weights, which the GPU runs directly',
          };
    case 'wasm':
      return { dtype: 'q8', reason: 'wasm (CPU): 8-bit weights, a quarter of the download' };
    case 'cpu':
    case 'cuda':
      return { dtype: 'fp32', reason: 'Node: float32, as the reference embeds' };
  }
}
