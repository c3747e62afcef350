/**
 * The one place that reaches into wllama 3.8.1's internals: mounting GGUF LoRA adapters from memory,
 * and the per-request `lora` field its types lack.
 *
 * Why a shim: `loadModel(blobs, {lora_adapters: [{path}]})` takes LoRA files only as paths inside
 * wllama's worker file system (3.8.1 and 3.13.0 alike), and no public call writes a Blob there.
 * Passing `[base, lora]` as two model blobs silently ignores the LoRA (they become two shards). So
 * this module catches the moment `loadModel` creates its private `proxy` (a `ProxyToWorker`) and
 * adds the adapters to the files its `moduleInit` writes into `/models`, where `lora_adapters` then
 * finds them. test/unit/wllama-lora.test.ts checks the installed wllama still has the shape this
 * relies on, and e2e/app-try.spec.ts that an adapter mounted this way changes the output.
 *
 * Source: @wllama/wllama 3.8.1 src/wllama.ts (loadModel: `this.proxy = new ProxyToWorker(...)`,
 * then `this.proxy.moduleInit(modelFiles.all)`, `model_paths: models/<name>`), src/worker.ts
 * (moduleInit: fileAlloc + fileWrite / async reads of each {name, blob}).
 */
import {
  Wllama,
  type LoadModelParams,
  type RawCompletionChunk,
  type RawCompletionParams,
} from '@wllama/wllama/esm/index.js';

/** The wllama version this shim was written against; another one must be re-checked first. */
export const WLLAMA_VERSION = '3.8.1';

export interface MemoryLora {
  /** File name inside wllama's /models folder, e.g. "lora-0.gguf". */
  name: string;
  blob: Blob;
}

interface ProxyLike {
  moduleInit(files: { name: string; blob: Blob }[]): Promise<void>;
}

/**
 * Loads `base` with `loras` mounted from memory; each gets `lora_adapters[i] = models/<name>` at
 * scale 0 (`lora_init_without_apply`), so requests choose adapters and scales explicitly.
 * Throws if wllama no longer creates its proxy the way this relies on (instead of silently
 * loading the base without the adapters).
 */
export async function loadWithLoras(
  wllama: Wllama,
  base: Blob[],
  loras: MemoryLora[],
  params: Omit<LoadModelParams, 'lora_adapters' | 'lora_init_without_apply'>,
): Promise<void> {
  let mounted = false;
  let current: unknown = (wllama as unknown as { proxy: unknown }).proxy;
  Object.defineProperty(wllama, 'proxy', {
    configurable: true,
    enumerable: true,
    get: () => current,
    set(proxy: ProxyLike | null) {
      current = proxy;
      if (!proxy || typeof proxy.moduleInit !== 'function') return;
      const moduleInit = proxy.moduleInit.bind(proxy);
      proxy.moduleInit = (files) => {
        mounted = true;
        return moduleInit([...files, ...loras.map(({ name, blob }) => ({ name, blob }))]);
      };
    },
  });
  try {
    await wllama.loadModel(base, {
      ...params,
      lora_adapters: loras.map(({ name }) => ({ path: `models/${name}`, scale: 0 })),
      lora_init_without_apply: true,
    });
  } finally {
    // Back to a plain field holding the same proxy.
    Object.defineProperty(wllama, 'proxy', {
      configurable: true,
      enumerable: true,
      writable: true,
      value: current,
    });
  }
  if (loras.length > 0 && !mounted) {
    throw new Error(
      `wllama ${WLLAMA_VERSION} shim: loadModel did not create its worker proxy as expected, so the LoRA adapters could not be mounted (see src/app/worker/wllama-lora.ts)`,
    );
  }
}

/** A raw completion request with llama-server's per-request adapter scales (missing from types). */
export type LoraCompletionParams = RawCompletionParams & {
  /** Every mounted adapter by index in `lora_adapters`, with its scale for this request. */
  lora: { id: number; scale: number }[];
  /** Off: every request evaluates its prompt afresh (a cache from another scale cannot leak in). */
  cache_prompt: boolean;
  /** Top-n candidates per generated token (llama-server's name; OpenAI's `logprobs` is ignored). */
  n_probs?: number;
};

/** Streams a raw completion with explicit adapter scales; resolves when generation ends. */
export async function completeWithLora(
  wllama: Wllama,
  params: LoraCompletionParams,
  onData: (chunk: RawCompletionChunk) => void,
): Promise<void> {
  await wllama.createCompletion({ ...params, stream: true, onData });
}
