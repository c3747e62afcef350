/**
 * Can this device hold a base model? Estimated before anything is downloaded, from what the
 * browser says: `navigator.deviceMemory` (GiB; Chromium rounds it down and caps it at 8),
 * WebAssembly's memory limit (wllama 3.8.1 runs a Memory64 build: 16 GiB in Chromium; a 32-bit
 * build would have 4 GiB), and the storage estimate (the cache; a file that does not fit is still
 * used, just not kept).
 *
 * Memory needed while loading ≈ 2 × the file (the downloaded bytes, then llama.cpp's copy in the
 * wasm heap) + the KV cache + about 128 MiB of runtime and compute buffers. Rough on purpose; the
 * refusal says what it assumed.
 */
import { cachedInfo } from '../file-cache';
import type { BaseChoice } from './base-models';

const GiB = 2 ** 30;
const MiB = 2 ** 20;

/** Chromium's Memory64 limit per wasm memory (65536-byte pages × 262144). */
export const WASM64_LIMIT = 16 * GiB;

export interface DeviceFacts {
  /** navigator.deviceMemory in GiB, or null where the browser does not say. */
  deviceMemoryGiB: number | null;
  /** navigator.storage.estimate(), bytes, or null. */
  storageQuota: number | null;
  storageUsage: number | null;
  /** The file is in the app's cache already (no download, no new storage). */
  cached: boolean;
  /** wasm memory limit in bytes. */
  wasmLimit: number;
}

export interface FitEstimate {
  ok: boolean;
  /** Estimated memory while loading, bytes. */
  needBytes: number;
  /** Why not (when !ok), or what to know (storage), in sentences. */
  problems: string[];
  notes: string[];
}

const gb = (b: number) => `${(b / 1e9).toFixed(b < 1e9 ? 2 : 1)} GB`;

/** KV cache of a typical model at `nCtx`, when its shape is not known before the download. */
function kvGuess(modelBytes: number, nCtx: number): number {
  // ~128 KiB per token for 7-8B models (f16 K+V, 32 layers × 8 KV heads × 128 × 2 × 2 bytes),
  // scaled down for smaller files.
  const perToken = Math.min(128 * 1024, Math.max(1024, (modelBytes / (4.4 * GiB)) * 128 * 1024));
  return perToken * nCtx;
}

/** Whether a base of `bytes` can be loaded here (null bytes: not known; then only notes). */
export function estimateFit(bytes: number | null, facts: DeviceFacts, nCtx = 1024): FitEstimate {
  const problems: string[] = [];
  const notes: string[] = [];
  if (bytes === null) {
    return {
      ok: true,
      needBytes: 0,
      problems,
      notes: ['The size is not known before the download, so the fit could not be checked.'],
    };
  }
  const needBytes = 2 * bytes + kvGuess(bytes, nCtx) + 128 * MiB;
  const wasmNeed = bytes + kvGuess(bytes, nCtx) + 128 * MiB;
  if (wasmNeed > facts.wasmLimit) {
    problems.push(
      `The model (${gb(bytes)}) needs about ${gb(wasmNeed)} inside WebAssembly, more than its limit of ${gb(facts.wasmLimit)} in this browser.`,
    );
  }
  if (facts.deviceMemoryGiB !== null && needBytes > facts.deviceMemoryGiB * GiB) {
    const capped = facts.deviceMemoryGiB >= 8 ? ' (or more: browsers say at most 8 GB)' : '';
    problems.push(
      `Loading it takes about ${gb(needBytes)} of memory; this device reports ${facts.deviceMemoryGiB} GB${capped}. It needs a larger machine: run it with llama.cpp there (t2l try).`,
    );
  }
  if (!facts.cached && facts.storageQuota !== null && facts.storageUsage !== null) {
    const free = facts.storageQuota - facts.storageUsage;
    if (free < bytes) {
      notes.push(
        `Only ${gb(Math.max(0, free))} of browser storage is free, so the ${gb(bytes)} download will be used but not cached.`,
      );
    }
  }
  return { ok: problems.length === 0, needBytes, problems, notes };
}

/** What this browser says about itself (the page's side: storage is the origin's). */
export async function deviceFacts(cached: boolean): Promise<DeviceFacts> {
  const nav = navigator as Navigator & { deviceMemory?: number };
  let quota: number | null = null;
  let usage: number | null = null;
  try {
    const e = await navigator.storage?.estimate();
    quota = e?.quota ?? null;
    usage = e?.usage ?? null;
  } catch {
    // Some private modes refuse: the fit is then checked on memory alone.
  }
  return {
    deviceMemoryGiB: typeof nav.deviceMemory === 'number' ? nav.deviceMemory : null,
    storageQuota: quota,
    storageUsage: usage,
    cached,
    wasmLimit: WASM64_LIMIT,
  };
}

/**
 * Refuses, before anything is downloaded, a catalog base (a URL) this device cannot hold, as
 * Compare's Outputs and accuracy runs do: throws Error naming the base and what does not fit. A
 * base the user picked from a file is not checked here (its bytes are already in the browser).
 */
export async function refuseUnfitBase(
  base: Pick<BaseChoice, 'label' | 'size' | 'source'>,
): Promise<void> {
  if (base.source.kind !== 'url') return;
  const fit = estimateFit(
    base.size,
    await deviceFacts((await cachedInfo(base.source.url)) !== null),
  );
  if (!fit.ok) {
    throw new Error(`${base.label} is too large for this device: ${fit.problems.join(' ')}`);
  }
}
