/**
 * Which backend runs a generation, and why, in words the page shows. Pure: capabilities and the
 * user's preference in, an ordered list of backends to try out.
 */
import type { Capabilities, ComputeBackend } from '../worker/protocol';

export type BackendPreference = 'auto' | ComputeBackend;

export interface BackendContext {
  remoteConfigured: boolean;
  /** The catalog marks the model as too big for most browsers. */
  remoteFirst?: boolean;
  /** Bytes the hypernetwork needs in memory, when known. */
  modelBytes?: number;
  /** navigator.deviceMemory (GiB, rounded by the browser), when the browser tells. */
  deviceMemoryGb?: number;
}

export type BackendChoice =
  { ok: true; backends: ComputeBackend[]; reason: string } | { ok: false; reason: string };

export function adapterName(caps: Capabilities): string {
  const info = caps.webgpu.adapterInfo;
  const name = [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(' ');
  return name || 'unnamed adapter';
}

function wasmWords(caps: Capabilities): string {
  const t = `${caps.threads} thread${caps.threads === 1 ? '' : 's'}`;
  return caps.crossOriginIsolated ? t : `${t}: the page is not cross-origin isolated`;
}

export function chooseBackends(
  pref: BackendPreference,
  caps: Capabilities,
  ctx: BackendContext,
): BackendChoice {
  const gpu = caps.webgpu;
  switch (pref) {
    case 'webgpu':
      return gpu.available
        ? { ok: true, backends: ['webgpu'], reason: `WebGPU (${adapterName(caps)}), as you chose` }
        : {
            ok: false,
            reason: `WebGPU is not available in this browser (${gpu.reason ?? 'no adapter'}). Choose Auto or wasm.`,
          };
    case 'wasm':
      return caps.wasm
        ? { ok: true, backends: ['wasm'], reason: `wasm (${wasmWords(caps)}), as you chose` }
        : { ok: false, reason: 'WebAssembly is not available in this browser.' };
    case 'remote':
      return ctx.remoteConfigured
        ? { ok: true, backends: ['remote'], reason: 'the remote endpoint, as you chose' }
        : { ok: false, reason: 'No remote endpoint is configured: add one in Settings.' };
  }
  // auto
  if (ctx.remoteConfigured && ctx.remoteFirst) {
    return {
      ok: true,
      backends: ['remote'],
      reason:
        'the catalog marks this model as too large for most browsers, and a remote endpoint is configured',
    };
  }
  const memory = ctx.deviceMemoryGb && ctx.modelBytes ? ctx.deviceMemoryGb * 2 ** 30 : undefined;
  // A session holds the weights about twice over while it is created.
  if (ctx.remoteConfigured && memory && ctx.modelBytes! * 2.5 > memory) {
    return {
      ok: true,
      backends: ['remote'],
      reason: `this device reports ${ctx.deviceMemoryGb} GB of memory, too little for this model; using the remote endpoint`,
    };
  }
  if (gpu.available && !gpu.isFallbackAdapter) {
    return {
      ok: true,
      backends: ['webgpu', 'wasm'],
      reason: `WebGPU adapter found (${adapterName(caps)})`,
    };
  }
  if (gpu.available && caps.wasm) {
    return {
      ok: true,
      backends: ['wasm', 'webgpu'],
      reason: `the WebGPU adapter is a software fallback (${adapterName(caps)}), slower than wasm (${wasmWords(caps)})`,
    };
  }
  if (caps.wasm) {
    return {
      ok: true,
      backends: ['wasm'],
      reason: `no WebGPU (${gpu.reason ?? 'no adapter'}); wasm (${wasmWords(caps)})`,
    };
  }
  if (ctx.remoteConfigured) {
    return {
      ok: true,
      backends: ['remote'],
      reason: 'neither WebGPU nor WebAssembly is available here',
    };
  }
  return {
    ok: false,
    reason:
      'This browser has neither WebGPU nor WebAssembly; configure a remote endpoint in Settings.',
  };
}
