/**
 * `prepare`: get the base GGUF (through the app's one downloader and file cache, or from a File),
 * check it against every adapter, and load it with all adapters mounted, unless exactly that is
 * loaded already. A new adapter reloads the base with every adapter known so far (wllama 3.8.1
 * cannot add one to a loaded model), so adding adapters one by one costs one reload each, and
 * Compare (which prepares all its columns at once) loads the base once.
 */
import { T2LError } from '../../core/errors';
import { download, type DownloadContext } from './downloads';
import { PUBLIC_HUB, sendsTokenTo } from '../shared/hub-endpoint';
import { checkBaseAgainstAdapters } from './llm-check';
import type { EngineAdapter, LlmEngine, LoadedBase } from './llm-engine';
import type { BaseSource, LlmProgress, PrepareRequest, PrepareResult } from './llm-protocol';

const DEFAULT_CTX = 1024;

/** The identity of a base's bytes: same key, same file. */
export function baseKey(base: BaseSource): string {
  if (base.kind === 'url') return base.url;
  const file = base.blob as Partial<File>;
  return `file:${base.name}:${base.blob.size}:${file.lastModified ?? 0}`;
}

function hubHeaders(token: string | undefined, endpoint: string | undefined) {
  // Checked again per URL: a redirect or a later file must not carry the token elsewhere.
  return (url: string): Record<string, string> =>
    token && sendsTokenTo(url, endpoint ?? PUBLIC_HUB) ? { Authorization: `Bearer ${token}` } : {};
}

async function baseBlob(
  base: BaseSource,
  signal: AbortSignal,
  progress: (p: LlmProgress) => void,
): Promise<Blob> {
  if (base.kind === 'file') return base.blob;
  const ctx: DownloadContext = {
    signal,
    // The downloader reports files only; stages are the LLM worker's own.
    progress: (p) => {
      if (p.type === 'file') progress(p);
    },
    headersFor: hubHeaders(base.hfToken, base.hubEndpoint),
    hubEndpoint: base.hubEndpoint ?? PUBLIC_HUB,
  };
  const bytes = await download(base.url, ctx, { cacheGroup: base.cacheGroup, name: base.name });
  return new Blob([bytes as Uint8Array<ArrayBuffer>]);
}

export async function prepare(
  engine: LlmEngine,
  request: PrepareRequest,
  signal: AbortSignal,
  progress: (p: LlmProgress) => void,
): Promise<PrepareResult> {
  const key = baseKey(request.base);
  const options = {
    nCtx: request.nCtx ?? DEFAULT_CTX,
    gpuLayers: request.gpuLayers,
    threads: Math.max(1, request.threads),
  };
  const ids = request.adapters.map((a) => a.id);
  if (engine.holds(key, ids, options)) {
    const s = engine.current!;
    return {
      model: s.model,
      backend: s.backend,
      adapters: s.adapters.map((a) => a.id),
      loaded: false,
      baseLoads: engine.baseLoads,
      loadMs: 0,
    };
  }
  const start = performance.now();
  progress({ type: 'llm-stage', detail: `Getting ${request.base.name}` });
  const blob = await baseBlob(request.base, signal, progress);
  signal.throwIfAborted();

  // Keep what is mounted (same base) and add what is new: one reload mounts all of them.
  const sameBase = engine.current?.base.key === key;
  const known = new Map<string, EngineAdapter>(
    (sameBase ? engine.mountedAdapters() : []).map((a) => [a.id, a]),
  );
  for (const a of request.adapters) {
    if (known.has(a.id)) continue;
    if (a.gguf.length === 0) {
      throw new T2LError(
        'bad-input',
        `adapter ${a.label}: its GGUF bytes were not sent (the LLM worker does not hold it)`,
      );
    }
    known.set(a.id, { id: a.id, label: a.label, bytes: a.gguf });
  }
  const adapters = [...known.values()];
  const base: LoadedBase = { key, name: request.base.name, blob };
  progress({ type: 'llm-stage', detail: `Checking ${base.name} against the adapters` });
  const header = await checkBaseAgainstAdapters(base, adapters);
  progress({ type: 'llm-stage', detail: `Loading ${base.name}` });
  const session = await engine.load(base, adapters, options);
  session.model = { ...session.model, ...header };
  return {
    model: session.model,
    backend: session.backend,
    adapters: adapters.map((a) => a.id),
    loaded: true,
    baseLoads: engine.baseLoads,
    loadMs: performance.now() - start,
  };
}
