/** FileSources the worker reads hypernetworks from: HTTP folders (through the cache) and picked files. */
import { T2LError } from '../../core/errors';
import type { FileSource } from '../../core/files';
import { hasCached } from '../shared/file-cache';
import {
  download,
  fetchOrThrow,
  HttpError,
  mayProbe,
  NotCachedError,
  type DownloadContext,
} from './downloads';

/**
 * A folder over HTTP. Files are cached when `cacheGroup` is given; `has` answers from the cache
 * first, so a cached folder opens offline.
 */
export function httpSource(base: string, ctx: DownloadContext, cacheGroup?: string): FileSource {
  const root = base.endsWith('/') ? base : `${base}/`;
  return {
    label: root,
    async has(name) {
      if (cacheGroup !== undefined && (await hasCached(root + name))) return true;
      if (!mayProbe(ctx, root + name)) throw new NotCachedError(root + name);
      const res = await fetchOrThrow(
        root + name,
        { method: 'HEAD', headers: ctx.headersFor(root + name) },
        ctx.signal,
      );
      const html =
        !name.endsWith('.html') && (res.headers.get('content-type') ?? '').startsWith('text/html');
      if (res.ok) return !html;
      // Only "not there" means absent; a refusal (a gated Hub repo without a token) or a server
      // error must reach the page as what it is, not as a missing file.
      if (res.status === 404 || res.status === 410) return false;
      // A host that does not answer HEAD: let the download itself find out.
      if (res.status === 405 || res.status === 501) return true;
      throw new HttpError(root + name, res.status, `${root}${name}: HTTP ${res.status}`);
    },
    read: (name) => download(root + name, ctx, cacheGroup !== undefined ? { cacheGroup } : {}),
  };
}

/** Files the user picked or dropped, by their path inside the folder. */
export function blobSource(label: string, files: Record<string, Blob>): FileSource {
  return {
    label,
    has: async (name) => name in files,
    async read(name) {
      const file = files[name];
      if (!file) throw new T2LError('missing-file', `${label}: missing file ${name}`);
      return new Uint8Array(await file.arrayBuffer());
    },
  };
}
