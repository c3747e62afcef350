import { describe, expect, it } from 'vitest';
import { defaultEncoderDtype, encoderDtypeChoice } from '../../../src/core/encoder/dtype';
import { PRECISIONS } from '../../../src/core/package/manifest';
import { defaultPrecisionFor, PRECISION_INFO } from '../../../src/core/package/precision';

describe('default precisions per backend', () => {
  it('packages: 4-bit on WebGPU, int8 on wasm, float32 in Node', () => {
    expect(defaultPrecisionFor('webgpu')).toBe('q4');
    expect(defaultPrecisionFor('wasm')).toBe('int8');
    expect(defaultPrecisionFor('cpu')).toBe('fp32');
    expect(defaultPrecisionFor('cuda')).toBe('fp32');
    for (const p of PRECISIONS) expect(PRECISION_INFO[p].label).toBeTruthy();
  });

  it('encoder: fp16 with shader-f16, q4 on WebGPU without, q8 on wasm, fp32 in Node', () => {
    expect(defaultEncoderDtype({ backend: 'webgpu', shaderF16: true })).toBe('fp16');
    expect(defaultEncoderDtype({ backend: 'webgpu', shaderF16: false })).toBe('q4');
    expect(defaultEncoderDtype({ backend: 'webgpu' })).toBe('q4');
    expect(defaultEncoderDtype({ backend: 'wasm', shaderF16: true })).toBe('q8');
    expect(defaultEncoderDtype({ backend: 'cpu' })).toBe('fp32');
    expect(encoderDtypeChoice({ backend: 'cuda' }).reason).toMatch(/Node/);
  });
});
