/**
 * The app's file cache: downloaded and converted files in Cache Storage, each stored with its size
 * and SHA-256 so a damaged entry is detected on read and fetched again, never used. Shared by the
 * worker (reads, writes) and the page (listing, clearing).
 */

import { measured } from '../../runtime/marks';

const CACHE_NAME = 't2l-files-v1';
const H_SIZE = 'x-t2l-size';
const H_SHA = 'x-t2l-sha256';
const H_GROUP = 'x-t2l-group';
const H_NAME = 'x-t2l-name';
const H_STORED = 'x-t2l-stored';

export interface CachedFileInfo {
  url: string;
  /** What the file belongs to, e.g. "Converted package · Mistral-7B · T2L". */
  group: string;
  name: string;
  size: number;
  sha256: string;
  storedAt: number;
}

export type CacheRead =
  | { status: 'hit'; bytes: Uint8Array; info: CachedFileInfo }
  | { status: 'miss' }
  | { status: 'corrupt'; why: string };

export function cacheAvailable(): boolean {
  return typeof caches !== 'undefined' && typeof crypto?.subtle !== 'undefined';
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

function infoOf(url: string, headers: Headers): CachedFileInfo | null {
  const size = Number(headers.get(H_SIZE));
  const sha256 = headers.get(H_SHA);
  if (!Number.isInteger(size) || size < 0 || !sha256) return null;
  return {
    url,
    group: decodeURIComponent(headers.get(H_GROUP) ?? ''),
    name: decodeURIComponent(headers.get(H_NAME) ?? url.split('/').pop() ?? url),
    size,
    sha256,
    storedAt: Number(headers.get(H_STORED)) || 0,
  };
}

async function open(): Promise<Cache | null> {
  if (!cacheAvailable()) return null;
  try {
    return await caches.open(CACHE_NAME);
  } catch {
    // Some private modes expose Cache Storage but refuse to open it; the app then runs uncached.
    return null;
  }
}

/** Bytes handed out by readCached({ defer: true }) whose SHA-256 check is still running. */
const checks = new WeakMap<Uint8Array, Promise<string | null>>();

/**
 * The deferred SHA-256 check of bytes from readCached({ defer: true }): null when they are the
 * stored file, else why not (the entry is then already deleted, unless read with `keep`). Bytes
 * read without `defer` were checked before they were returned: null at once.
 */
export function cacheCheckOf(bytes: Uint8Array): Promise<string | null> {
  return checks.get(bytes) ?? Promise.resolve(null);
}

/**
 * Reads and verifies one file; a damaged entry is reported as corrupt and deleted, unless `keep`
 * (a cache-only pre-warm leaves it for the real load, which tells the user and fetches it again).
 * With `defer`, a hit of the right size is returned before its SHA-256 is checked, so the caller
 * can start work on it (the text encoder's session) while the hash runs; the caller must then
 * await cacheCheckOf(bytes) before any result of that work is used.
 */
export async function readCached(
  url: string,
  { keep = false, defer = false } = {},
): Promise<CacheRead> {
  const cache = await open();
  const res = await cache?.match(url);
  if (!cache || !res) return { status: 'miss' };
  const info = infoOf(url, res.headers);
  let why = 'its metadata is missing';
  if (info) {
    try {
      const bytes = new Uint8Array(await measured('cache-read', () => res.arrayBuffer()));
      const check = () =>
        measured('cache-hash', () => sha256Hex(bytes)).then((h) =>
          h === info.sha256 ? null : 'its SHA-256 does not match',
        );
      if (bytes.length !== info.size) why = `${bytes.length} bytes instead of ${info.size}`;
      else if (defer) {
        checks.set(
          bytes,
          check()
            .catch((e: unknown) => `it could not be hashed (${String(e)})`)
            .then(async (damaged) => {
              if (damaged && !keep) await cache.delete(url);
              return damaged;
            }),
        );
        return { status: 'hit', bytes, info };
      } else {
        const damaged = await check();
        if (damaged) why = damaged;
        else return { status: 'hit', bytes, info };
      }
    } catch (e) {
      why = `it could not be read (${String(e)})`;
    }
  }
  if (!keep) await cache.delete(url);
  return { status: 'corrupt', why };
}

export async function hasCached(url: string): Promise<boolean> {
  const cache = await open();
  return Boolean(await cache?.match(url));
}

/** What the cache holds for a URL, without reading (or checking) the bytes. */
export async function cachedInfo(url: string): Promise<CachedFileInfo | null> {
  const cache = await open();
  const res = await cache?.match(url);
  return res ? infoOf(url, res.headers) : null;
}

/**
 * Stores a file with its size and hash. Returns false, without throwing, when the cache is not
 * available or full: a download that cannot be cached is still used.
 */
export async function writeCached(
  url: string,
  bytes: Uint8Array,
  meta: { group: string; name: string },
): Promise<boolean> {
  const cache = await open();
  if (!cache) return false;
  const headers = new Headers({
    'content-type': 'application/octet-stream',
    'content-length': String(bytes.length),
    [H_SIZE]: String(bytes.length),
    [H_SHA]: await sha256Hex(bytes),
    [H_GROUP]: encodeURIComponent(meta.group),
    [H_NAME]: encodeURIComponent(meta.name),
    [H_STORED]: String(Date.now()),
  });
  try {
    await cache.put(url, new Response(bytes as Uint8Array<ArrayBuffer>, { headers }));
    return true;
  } catch {
    return false;
  }
}

export async function listCached(): Promise<CachedFileInfo[]> {
  const cache = await open();
  if (!cache) return [];
  const out: CachedFileInfo[] = [];
  for (const req of await cache.keys()) {
    const res = await cache.match(req);
    const info = res && infoOf(req.url, res.headers);
    if (info) out.push(info);
  }
  return out.sort((a, b) => a.group.localeCompare(b.group) || a.name.localeCompare(b.name));
}

export async function deleteCached(urls: string[]): Promise<void> {
  const cache = await open();
  if (cache) await Promise.all(urls.map((u) => cache.delete(u)));
}

export async function clearCache(): Promise<void> {
  if (cacheAvailable()) await caches.delete(CACHE_NAME);
}

/** Cache key of a file converted in the browser: never a URL anything is fetched from. */
export function convertedKey(sourceUrl: string, file: string): string {
  return `${location.origin}/__t2l-converted/${encodeURIComponent(sourceUrl)}/${file}`;
}
