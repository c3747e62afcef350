/**
 * The app's file cache: downloaded and converted files, each stored with its size, its SHA-256
 * and an XXH128 checksum, so a damaged entry is detected on read and fetched again, never used.
 * Shared by the worker (reads, writes) and the page (listing, clearing).
 *
 * Every file has an entry in Cache Storage carrying its metadata in headers. A small file's bytes
 * are that entry's body; a large file's bytes are in OPFS (stored-bodies.ts: read back several
 * times faster) and the entry names the OPFS file.
 *
 * Why two hashes: the SHA-256 is the file's identity, computed from bytes just verified against
 * the catalog's or the Hub's record (known-files.ts compares it with the catalog's). What a read
 * must find is accidental damage since then (a disk error, a cut-off write), which a 128-bit
 * checksum finds as surely; XXH128 (hash-wasm) checks gte-large's 440 MB graph in about 80 ms in
 * Chromium here, SHA-256 (WebCrypto or hash-wasm) in 1.5–2.4 s, on the path to the first adapter.
 * Entries written before the checksum existed are checked by SHA-256 once, then rewritten.
 */

import { createXXHash128 } from 'hash-wasm';
import { sha256Hex } from '../../core/digest';
import { measured } from '../../runtime/marks';
import {
  OPFS_MIN_BYTES,
  bodyNameOf,
  canStoreBodies,
  clearBodies,
  readBody,
  sweepBodies,
  withBodyLock,
  removeBodies,
  writeBody,
  yieldToEventLoop,
} from './stored-bodies';

const CACHE_NAME = 't2l-files-v1';
const H_SIZE = 'x-t2l-size';
const H_SHA = 'x-t2l-sha256';
const H_XXH = 'x-t2l-xxh128';
const H_GROUP = 'x-t2l-group';
const H_NAME = 'x-t2l-name';
const H_STORED = 'x-t2l-stored';
/** The OPFS file holding the bytes, when they are not the entry's body. */
const H_BODY = 'x-t2l-body';
const CHECK_CHUNK = 64 * 1024 * 1024;

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

/** XXH128 (hex) of `bytes`, in chunks with a turn of the event loop between them. */
async function checksumOf(bytes: Uint8Array): Promise<string> {
  const hasher = await createXXHash128();
  hasher.init();
  for (let at = 0; at < bytes.length; at += CHECK_CHUNK) {
    hasher.update(bytes.subarray(at, at + CHECK_CHUNK));
    if (at + CHECK_CHUNK < bytes.length) await yieldToEventLoop();
  }
  return hasher.digest('hex');
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
 */
export async function readCached(url: string, { keep = false } = {}): Promise<CacheRead> {
  const cache = await open();
  const res = await cache?.match(url);
  if (!cache || !res) return { status: 'miss' };
  const info = infoOf(url, res.headers);
  const body = res.headers.get(H_BODY);
  const checksum = res.headers.get(H_XXH);
  let why = 'its metadata is missing';
  if (info) {
    try {
      const bytes = await measured('cache-read', async () =>
        body ? readBody(body, info.size) : new Uint8Array(await res.arrayBuffer()),
      );
      if (bytes.length !== info.size) why = `${bytes.length} bytes instead of ${info.size}`;
      else if (checksum) {
        if ((await measured('cache-check', () => checksumOf(bytes))) === checksum) {
          return { status: 'hit', bytes, info };
        }
        why = 'its checksum does not match';
      } else if ((await measured('cache-hash', () => sha256Hex(bytes))) === info.sha256) {
        // Written before entries had a checksum: rewritten with one (and in OPFS when large), so
        // the next read is quick; by the pre-warm too, whose reads are most return visits'. Awaited:
        // the caller may move the bytes away (the encoder's graph is transferred to its worker),
        // and a rewrite still reading them then would store an empty file. A failed rewrite
        // leaves the old entry, still correct.
        await writeCached(url, bytes, info).catch(() => false);
        return { status: 'hit', bytes, info };
      } else why = 'its SHA-256 does not match';
    } catch (e) {
      why = `it could not be read (${e instanceof Error ? e.message : String(e)})`;
    }
  }
  if (!keep) {
    await cache.delete(url);
    if (body) await removeBodies([body]);
  }
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
 * Stores a file with its size, checksum and SHA-256 (`sha256` when the caller has just verified
 * the bytes against it; else computed here). Returns false, without throwing, when the cache is not
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
  const stored = { ...meta, sha256, checksum: await checksumOf(bytes) };
  // The body and its entry are written under the body's lock: a sweep in another tab between the
  // two would take the body for an orphan (stored-bodies.ts sweepBodies).
  if (bodyName === null) return putEntry(cache, url, bytes, null, stored);
  return withBodyLock(bodyName, async () =>
    putEntry(cache, url, bytes, (await writeBody(bodyName, bytes)) ? bodyName : null, stored),
  );
}

/**
 * The cache entry of `url`: metadata in its headers; the bytes as its body, or in the OPFS file
 * `body` (already written) when one is named.
 */
async function putEntry(
  cache: Cache,
  url: string,
  bytes: Uint8Array,
  body: string | null,
  meta: { group: string; name: string; sha256: string; checksum: string },
): Promise<boolean> {
  const headers = new Headers({
    'content-type': 'application/octet-stream',
    'content-length': String(body ? 0 : bytes.length),
    [H_SIZE]: String(bytes.length),
    [H_SHA]: meta.sha256,
    [H_XXH]: meta.checksum,
    [H_GROUP]: encodeURIComponent(meta.group),
    [H_NAME]: encodeURIComponent(meta.name),
    [H_STORED]: String(Date.now()),
    ...(body ? { [H_BODY]: body } : {}),
  });
  try {
    const entry = body ? new Uint8Array(0) : (bytes as Uint8Array<ArrayBuffer>);
    await cache.put(url, new Response(entry, { headers }));
    return true;
  } catch {
    if (body) await removeBodies([body]);
    return false;
  }
}

/** The OPFS body names the cache's entries hold. */
async function listedBodies(cache: Cache): Promise<Set<string>> {
  const names = new Set<string>();
  for (const req of await cache.keys()) {
    const body = (await cache.match(req))?.headers.get(H_BODY);
    if (body) names.add(body);
  }
  return names;
}

/**
 * Removes the OPFS bodies no entry names (an interrupted write, a Clear while another tab read a
 * body): see stored-bodies.ts sweepBodies. Returns how many were removed.
 */
export async function sweepCache(): Promise<number> {
  const cache = await open();
  if (!cache) return 0;
  return (await sweepBodies(() => listedBodies(cache))).length;
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
