import type { Precision } from '../../core/package/manifest';
import { defaultPrecisionFor } from '../../core/package/precision';
import type { ComputeBackend } from '../worker/protocol';

/** 'auto' is the core's default for the backend that will run (4-bit on WebGPU, int8 on wasm). */
export function resolvePrecision(
  precision: Precision | 'auto',
  backends: readonly ComputeBackend[],
): Precision {
  if (precision !== 'auto') return precision;
  return defaultPrecisionFor(backends[0] === 'webgpu' ? 'webgpu' : 'wasm');
}
