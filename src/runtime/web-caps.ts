/**
 * What the browser offers (a WebGPU adapter, the thread count onnxruntime-web will use), answered
 * without importing onnxruntime-web or transformers.js: the worker reports capabilities from this
 * alone, before its heavy imports (src/runtime/web.ts) are loaded.
 */

/** onnxruntime-web's thread count unless configured: threads need cross-origin isolation. */
export function defaultThreads(): number {
  // Threads need SharedArrayBuffer, which needs cross-origin isolation (COOP/COEP headers).
  if (!globalThis.crossOriginIsolated) return 1;
  return Math.max(1, Math.min(navigator.hardwareConcurrency || 1, 8));
}

export interface WebGpuAdapterInfo {
  vendor: string;
  architecture: string;
  description: string;
}

export interface WebGpuInfo {
  available: boolean;
  /** Why no adapter, when none. */
  reason?: string;
  adapterInfo?: WebGpuAdapterInfo;
  /** True for software adapters such as SwiftShader: expect CPU speed. */
  isFallbackAdapter: boolean;
  limits?: { maxStorageBufferBindingSize: number; maxBufferSize: number };
  features: { shaderF16: boolean };
}

/** What WebGPU adapter the browser offers, for the UI to explain the backend choice. */
export async function detectWebGpu(): Promise<WebGpuInfo> {
  const none = (reason: string): WebGpuInfo => ({
    available: false,
    reason,
    isFallbackAdapter: false,
    features: { shaderF16: false },
  });
  if (typeof navigator === 'undefined' || !navigator.gpu) return none('navigator.gpu is missing');
  let adapter: GPUAdapter | null;
  try {
    adapter = await navigator.gpu.requestAdapter();
  } catch (e) {
    return none(`requestAdapter failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!adapter) return none('requestAdapter returned no adapter');
  // Older browsers expose isFallbackAdapter on the adapter rather than on its info.
  const legacy = adapter as GPUAdapter & { isFallbackAdapter?: boolean };
  return {
    available: true,
    adapterInfo: infoOf(adapter.info),
    isFallbackAdapter: adapter.info.isFallbackAdapter ?? legacy.isFallbackAdapter ?? false,
    limits: {
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter.limits.maxBufferSize,
    },
    features: { shaderF16: adapter.features.has('shader-f16') },
  };
}

export function infoOf(info: GPUAdapterInfo): WebGpuAdapterInfo {
  return { vendor: info.vendor, architecture: info.architecture, description: info.description };
}
