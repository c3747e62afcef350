import { env } from '@huggingface/transformers';
import { T2LError } from '../errors';

/** onnxruntime-web's wasm file locations: a folder URL, or the two files by name. */
export type WasmPaths = string | { mjs?: string; wasm?: string };

export type EnvPatch = Partial<Record<keyof typeof env, unknown>>;

// transformers.js reads its global `env` while loading, across awaits: loads that need different
// settings are serialized and the previous values put back afterwards.
let envQueue: Promise<unknown> = Promise.resolve();

export function withEnv<T>(patch: EnvPatch, fn: () => Promise<T>): Promise<T> {
  const run = envQueue.then(async () => {
    const target = env as unknown as Record<string, unknown>;
    const saved = Object.fromEntries(Object.keys(patch).map((k) => [k, target[k]]));
    Object.assign(target, patch);
    try {
      return await fn();
    } finally {
      Object.assign(target, saved);
    }
  });
  envQueue = run.catch(() => undefined);
  return run;
}

export function configureWasm(paths: WasmPaths | undefined): void {
  const wasm = env.backends.onnx.wasm;
  if (!wasm) return;
  if (paths !== undefined) {
    wasm.wasmPaths = paths;
  } else if (JSON.stringify(wasm.wasmPaths ?? '').includes('cdn.jsdelivr.net')) {
    // The app must work offline; onnxruntime-web then loads the files from beside its bundle.
    wasm.wasmPaths = undefined;
  }
}

/** Local files are read afresh: a cached copy would go stale when the folder changes. */
const NO_CACHE: EnvPatch = {
  useBrowserCache: false,
  useFSCache: false,
  useCustomCache: false,
  experimental_useCrossOriginStorage: false,
};

export interface ModelSource {
  modelId: string;
  patch: EnvPatch;
  localFilesOnly: boolean;
  where: string;
}

/**
 * transformers.js takes a local folder only as `localModelPath` + a valid Hub-style name, and its
 * local-file checks skip http(s) URLs: a directory is read through the former, a URL base by
 * standing in for the Hub host, so neither route can reach huggingface.co.
 */
export function locate(options: { model: string; localPath?: string | undefined }): ModelSource {
  if (options.localPath === undefined) {
    const modelId = options.model;
    // A Hub id must not be looked up on the app's own origin first (a SPA fallback answers 200).
    return {
      modelId,
      patch: { allowLocalModels: false },
      localFilesOnly: false,
      where: `Hub model ${modelId}`,
    };
  }
  const localPath = options.localPath;
  const where = `folder ${localPath}`;
  const trimmed = localPath.replace(/[/\\]+$/, '');
  const cut = Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\'));
  const name = trimmed.slice(cut + 1);
  const parent = cut < 0 ? '.' : trimmed.slice(0, cut + 1);
  if (
    !/^[\w.-]{1,96}$/.test(name) ||
    name.includes('..') ||
    name.includes('--') ||
    name.endsWith('.git')
  ) {
    throw new T2LError(
      'bad-input',
      `Encoder ${where}: its last path segment must be letters, digits, "_", "-" or "." ` +
        '(no "--" or ".."); rename or move the folder.',
    );
  }
  const isUrl = /^https?:\/\//i.test(localPath);
  if (env.useFS && isUrl) {
    // Node reads model files by path: a URL's files would only exist as Hub-cache entries, keyed by
    // the folder name alone and so shared between hosts.
    throw new T2LError(
      'unsupported',
      `Encoder ${where}: in Node, give a directory; download the folder's files first.`,
    );
  }
  if (env.useFS) {
    return {
      modelId: name,
      localFilesOnly: true,
      where,
      patch: {
        ...NO_CACHE,
        allowLocalModels: true,
        allowRemoteModels: false,
        localModelPath: parent,
      },
    };
  }
  let host: string;
  try {
    host = new URL(parent, globalThis.location?.href).href;
  } catch (err) {
    throw new T2LError('bad-input', `Encoder ${where}: not a folder URL (${String(err)})`, {
      cause: err,
    });
  }
  return {
    modelId: name,
    localFilesOnly: false,
    where,
    patch: {
      ...NO_CACHE,
      allowLocalModels: false,
      allowRemoteModels: true,
      remoteHost: host,
      remotePathTemplate: '{model}/',
    },
  };
}
