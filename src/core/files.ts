import { T2LError } from './errors';
import { Received } from './received';

/**
 * A folder of files, wherever it lives: a directory on disk (Node), files a user picked or dropped,
 * or a base URL. Checkpoint and package loading only ever see this interface.
 */
export interface FileSource {
  /** Shown in error messages, e.g. the folder path or URL. */
  readonly label: string;
  /** True when the file exists. */
  has(name: string): Promise<boolean>;
  /** The whole file; rejects with a T2LError('missing-file') naming the file when absent. */
  read(name: string): Promise<Uint8Array>;
  /** True when `name` is a folder (sources that have folders); lets "missing" say more. */
  isFolder?(name: string): Promise<boolean>;
  /** Where `name` was looked for, for "not found in …" messages (default: the label). */
  where?(name: string): string;
}

/** An in-memory folder: tests, drag-and-drop, and conversions that already hold the bytes. */
export function memorySource(
  label: string,
  files: Record<string, Uint8Array | string>,
): FileSource {
  const enc = new TextEncoder();
  return {
    label,
    has: async (name) => name in files,
    read: async (name) => {
      const f = files[name];
      if (f === undefined) {
        throw new T2LError('missing-file', `${label}: missing file ${name}`);
      }
      return typeof f === 'string' ? enc.encode(f) : f;
    },
  };
}

/**
 * Largest configuration file read (t2l.json, args.yaml, adapter_config.json): the real ones are a
 * few KiB; a larger one would only carry giant strings into every file written from it.
 */
export const MAX_CONFIG_BYTES = 1 << 20;

/**
 * A configuration file's text, refused (bad-config, naming the file and both sizes) when it is over
 * MAX_CONFIG_BYTES. `label` names the file in the message.
 */
export function configText(bytes: Uint8Array, label: string): string {
  if (bytes.length > MAX_CONFIG_BYTES) {
    throw new T2LError(
      'bad-config',
      `${label}: ${bytes.length} bytes, expected a configuration file of at most ${MAX_CONFIG_BYTES} bytes (1 MiB)`,
    );
  }
  return decodeText(bytes);
}

export function decodeText(bytes: Uint8Array): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
}

export interface UrlSourceOptions {
  /** Extra request headers, e.g. Authorization for gated Hugging Face repos. */
  headers?: Record<string, string>;
  fetch?: typeof fetch;
}

/**
 * A folder served over HTTP: files are `${base}${name}`. Works in the browser and in Node.
 * Single-page-app hosts (Vite's dev server among them) answer unknown paths with index.html and
 * status 200, so an HTML answer for a non-HTML name counts as missing.
 */
export function urlSource(base: string, options: UrlSourceOptions = {}): FileSource {
  const root = base.endsWith('/') ? base : `${base}/`;
  const doFetch = options.fetch ?? fetch;
  const init = { headers: options.headers ?? {} };
  const isFallback = (name: string, res: Response) =>
    !name.endsWith('.html') && (res.headers.get('content-type') ?? '').startsWith('text/html');
  return {
    label: root,
    has: async (name) => {
      const res = await doFetch(root + name, { ...init, method: 'HEAD' });
      return res.ok && !isFallback(name, res);
    },
    read: async (name) => {
      let res: Response;
      try {
        res = await doFetch(root + name, init);
      } catch (e) {
        throw new T2LError(
          'missing-file',
          `${root}${name}: could not be fetched (${(e as Error).message})`,
          { cause: e },
        );
      }
      if (!res.ok || isFallback(name, res)) {
        throw new T2LError(
          'missing-file',
          `${root}${name}: HTTP ${res.ok ? '404 (fallback page)' : res.status}`,
        );
      }
      return readBody(res);
    },
  };
}

/**
 * The whole body of a response. With a Content-Length (and no Content-Encoding), the chunks are
 * copied into one buffer of that size as they arrive (Received), so a large file (a 1 GB
 * hypermod.pt) is held once, not as its chunks plus their concatenation as `arrayBuffer()` may;
 * more or fewer bytes than announced are all kept.
 */
async function readBody(res: Response): Promise<Uint8Array> {
  if (!res.body) return new Uint8Array(await res.arrayBuffer());
  const length = Number(res.headers.get('content-length'));
  const encoded = (res.headers.get('content-encoding') ?? 'identity') !== 'identity';
  const received = new Received();
  if (Number.isSafeInteger(length) && length > 0 && !encoded) received.expect(length);
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return received.bytes();
    received.push(value);
  }
}
