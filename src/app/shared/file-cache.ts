/**
 * The app's file cache: downloaded and converted files, each stored with its size and SHA-256 so a
 * damaged entry is detected on read and fetched again, never used. Shared by the worker (reads,
 * writes) and the page (listing, clearing).
 *
 * Every file has an entry in Cache Storage carrying its metadata in headers. A small file's bytes
 * are that entry's body; a large file's bytes are in OPFS (stored-bodies.ts: read back many times
 * faster, hashed in a worker of their own) and the entry names the OPFS file.
 */

import { sha256Hex } from '../../core/digest';
import { measured } from '../../runtime/marks';
import { hashStoredBody } from './body-hash';
import {
  OPFS_MIN_BYTES,
  bodyNameOf,
  canStoreBodies,
  clearBodies,
  readBody,
  removeBodies,
  writeBody,
} from './stored-bodies';

const CACHE_NAME = 't2l-files-v1';
const H_SIZE = 'x-t2l-size';
const H_SHA = 'x-t2l-sha256';
const H_GROUP = 'x-t2l-group';
const H_NAME = 'x-t2l-name';
const H_STORED = 'x-t2l-stored';
/** The OPFS file holding the bytes, when they are not the entry's body. */
const H_BODY = 'x-t2l-body';

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
  | {
      status: 'hit';
      bytes: Uint8Array;
      info: CachedFileInfo;
      /**
       * The SHA-256 check: null when the bytes are the stored file, else why not (the entry is
       * then deleted, unless read with `keep`). Already settled unless read with `defer`.
       */
      check: Promise<string | null>;
    }
  | { status: 'miss' }
  | { status: 'corrupt'; why: string };

export function cacheAvailable(): boolean {
  return typeof caches !== 'undefined' && typeof crypto?.subtle !== 'undefined';
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

/**
 * Reads and verifies one file; a damaged entry is reported as corrupt and deleted, unless `keep`
 * (a cache-only pre-warm leaves it for the real load, which tells the user and fetches it again).
 * With `defer`, a hit of the right size is returned before its SHA-256 check ends, so the caller
 * can start work on the bytes (a session) while the hash runs; it must await `check` before any
 * result of that work is used.
 */
export async function readCached(
  url: string,
  { keep = false, defer = false } = {},
): Promise<CacheRead> {
  const cache = await open();
  const res = await cache?.match(url);
  if (!cache || !res) return { status: 'miss' };
  const info = infoOf(url, res.headers);
  const body = res.headers.get(H_BODY);
  const drop = async () => {
    if (keep) return;
    await cache.delete(url);
    if (body) await removeBodies([body]);
  };
  let why = 'its metadata is missing';
  if (info) {
    try {
      const bytes = await measured('cache-read', async () =>
        body ? readBody(body) : new Uint8Array(await res.arrayBuffer()),
      );
      if (bytes.length !== info.size) why = `${bytes.length} bytes instead of ${info.size}`;
      else {
        const check = measured('cache-hash', () => (body ? hashStoredBody(body) : sha256Hex(bytes)))
          .then(
            (h) => (h === info.sha256 ? null : 'its SHA-256 does not match'),
            (e: unknown) => `it could not be hashed (${String(e)})`,
          )
          .then(async (damaged) => {
            if (damaged) await drop();
            return damaged;
          });
        if (defer) return { status: 'hit', bytes, info, check };
        const damaged = await check;
        if (!damaged) return { status: 'hit', bytes, info, check };
        return { status: 'corrupt', why: damaged };
      }
    } catch (e) {
      why = `it could not be read (${String(e)})`;
    }
  }
  await drop();
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
 * Stores a file with its size and hash (`sha256` when the caller has just verified the bytes
 * against it; else computed here). Returns false, without throwing, when the cache is not
 * available or full: a download that cannot be cached is still used.
 */
export async function writeCached(
  url: string,
  bytes: Uint8Array,
  meta: { group: string; name: string; sha256?: string },
): Promise<boolean> {
  const cache = await open();
  if (!cache) return false;
  const sha256 = meta.sha256 ?? (await sha256Hex(bytes));
  const bodyName =
    bytes.length >= OPFS_MIN_BYTES && canStoreBodies() ? await bodyNameOf(url) : null;
  const inOpfs = bodyName !== null && (await writeBody(bodyName, bytes));
  const headers = new Headers({
    'content-type': 'application/octet-stream',
    'content-length': String(inOpfs ? 0 : bytes.length),
    [H_SIZE]: String(bytes.length),
    [H_SHA]: sha256,
    [H_GROUP]: encodeURIComponent(meta.group),
    [H_NAME]: encodeURIComponent(meta.name),
    [H_STORED]: String(Date.now()),
    ...(inOpfs ? { [H_BODY]: bodyName } : {}),
  });
  try {
    const entry = inOpfs ? new Uint8Array(0) : (bytes as Uint8Array<ArrayBuffer>);
    await cache.put(url, new Response(entry, { headers }));
    return true;
  } catch {
    if (inOpfs) await removeBodies([bodyName]);
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
  if (!cache) return;
  const bodies: string[] = [];
  await Promise.all(
    urls.map(async (u) => {
      const body = (await cache.match(u))?.headers.get(H_BODY);
      if (body) bodies.push(body);
      await cache.delete(u);
    }),
  );
  await removeBodies(bodies);
}

export async function clearCache(): Promise<void> {
  if (cacheAvailable()) await caches.delete(CACHE_NAME);
  await clearBodies();
}

/** Cache key of a file converted in the browser: never a URL anything is fetched from. */
export function convertedKey(sourceUrl: string, file: string): string {
  return `${location.origin}/__t2l-converted/${encodeURIComponent(sourceUrl)}/${file}`;
}
