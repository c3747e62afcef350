/**
 * Every file the worker fetches goes through here: served from the verified cache when present,
 * otherwise downloaded with progress (bytes, speed), resumed with a Range request after a dropped
 * connection, and stored in the cache only once complete.
 */
import { T2LError } from '../../core/errors';
import { readCached, writeCached } from '../shared/file-cache';
import { differsFromHubRecord } from '../../core/hub/model-info';
import { hubRecordFor } from './hub-integrity';
import { differsFromKnown, storedHashIsKnown } from './known-files';
import type { KnownFile, Progress } from './protocol';
import { Received } from '../../core/received';

export interface DownloadContext {
  signal: AbortSignal;
  progress: (p: Progress) => void;
  /** Extra headers for this URL (the Hugging Face token goes only to huggingface.co). */
  headersFor: (url: string) => Record<string, string>;
  /**
   * Serve files from the cache only: a file that would be downloaded, or any other request to the
   * network, throws NotCachedError instead (for warming sessions up before the user asks, which
   * must cost no download, contact no host, and never keep a queued Generate waiting).
   */
  cacheOnly?: boolean;
  /** Files whose size and hash the catalog records, by URL: checked after download and in cache. */
  known?: Record<string, KnownFile>;
  /**
   * The Hub endpoint in force: a fresh download of one of its files at a commit is checked against
   * the size and hash the Hub's API records for it (hub-integrity.ts).
   */
  hubEndpoint?: string | undefined;
}

/**
 * Whether a load may ask the network about `url`: never for a cache-only load (the pre-warm), which
 * must neither wait on a slow server nor hold up a Generate queued behind it in the worker.
 */
export function mayProbe(ctx: DownloadContext, _url: string): boolean {
  return !ctx.cacheOnly;
}

/** A file a cache-only load would have had to download. */
export class NotCachedError extends T2LError {
  constructor(readonly url: string) {
    super('missing-file', `${url} is not in the browser cache`);
    this.name = 'NotCachedError';
  }
}

export interface DownloadOptions {
  /** Cache under this group; undefined fetches without caching. */
  cacheGroup?: string;
  /** Key to cache under when it differs from the URL. */
  cacheKey?: string;
  /** Shown instead of the URL's last segment. */
  name?: string;
}

/** A download that failed with an HTTP status: the UI turns 401/403/404 into advice. */
export class HttpError extends T2LError {
  constructor(
    readonly url: string,
    readonly status: number,
    message: string,
  ) {
    super('missing-file', message);
  }
}

const RETRIES = 3;
const PROGRESS_EVERY_MS = 100;

export function nameOf(url: string): string {
  const path = new URL(url).pathname.replace(/\/+$/, '');
  return decodeURIComponent(path.slice(path.lastIndexOf('/') + 1)) || url;
}

/** SPA hosts answer unknown paths with the app's HTML and status 200: that is a missing file. */
function isHtmlFallback(url: string, res: Response): boolean {
  return (
    !/\.html?$/i.test(new URL(url).pathname) &&
    (res.headers.get('content-type') ?? '').startsWith('text/html')
  );
}

/** Bytes per second over the last couple of seconds of progress samples. */
function speedMeter() {
  const samples: Array<[number, number]> = [];
  return (loaded: number): number => {
    const now = performance.now();
    samples.push([now, loaded]);
    while (samples.length > 2 && now - samples[0]![0] > 2000) samples.shift();
    const [t0, b0] = samples[0]!;
    return now - t0 > 0 ? ((loaded - b0) * 1000) / (now - t0) : 0;
  };
}

export async function fetchOrThrow(
  url: string,
  init: RequestInit,
  signal: AbortSignal,
): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal });
  } catch (e) {
    if (signal.aborted) throw signal.reason;
    throw new T2LError(
      'missing-file',
      `${url}: could not be fetched (${e instanceof Error ? e.message : String(e)})`,
      { cause: e },
    );
  }
}

/**
 * One file's bytes: from the verified cache, or downloaded, checked against the catalog's or the
 * Hub's record, and then cached when a group is given. A damaged or foreign cached copy is
 * reported and downloaded again, never used.
 * @throws NotCachedError for a cache-only load that would have to download; T2LError/HttpError
 *   for a failed download or a file that is not the recorded one.
 */
export async function download(
  url: string,
  ctx: DownloadContext,
  options: DownloadOptions = {},
): Promise<Uint8Array> {
  const key = options.cacheKey ?? url;
  const name = options.name ?? nameOf(url);
  const report = (p: Omit<Extract<Progress, { type: 'file' }>, 'type' | 'url' | 'name'>) =>
    ctx.progress({ type: 'file', url, name, ...p });

  const known = ctx.known?.[url];
  let corruptNote: string | undefined;
  const refetch = (note: string) => {
    if (ctx.cacheOnly) throw new NotCachedError(url);
    corruptNote = note;
    report({ state: 'corrupt', loaded: 0, total: null, bytesPerSecond: 0, note });
  };
  if (options.cacheGroup !== undefined) {
    const hit = await readCached(key, { keep: ctx.cacheOnly === true });
    if (hit.status === 'hit') {
      // A copy cached before the catalog recorded the file (or from another upstream) is not
      // used. Hashing a hit again when its stored hash is the catalog's would prove nothing more
      // than its own check (and take seconds for gte-large).
      const unlike =
        known && !storedHashIsKnown(hit.info, hit.bytes.length, known)
          ? await differsFromKnown(hit.bytes, known)
          : null;
      if (!unlike) {
        const size = hit.bytes.length;
        report({ state: 'cached', loaded: size, total: size, bytesPerSecond: 0 });
        return hit.bytes;
      }
      refetch(`the cached copy is not the published file (${unlike}); downloading it again`);
    } else if (hit.status === 'corrupt') {
      refetch(`the cached copy was damaged (${hit.why}); downloading it again`);
    }
  }

  if (ctx.cacheOnly) throw new NotCachedError(url);
  const fetched = await fetchVerified(url, ctx, report, corruptNote);
  if (options.cacheGroup !== undefined) {
    await writeCached(key, fetched.bytes, {
      group: options.cacheGroup,
      name,
      ...(fetched.sha256 ? { sha256: fetched.sha256 } : {}),
    });
  }
  return fetched.bytes;
}

/**
 * Downloads `url` and checks it against the catalog's record or the Hub's: the bytes, and their
 * SHA-256 when a record gave one that they matched (so the cache need not hash them again).
 */
async function fetchVerified(
  url: string,
  ctx: DownloadContext,
  report: (p: Omit<Extract<Progress, { type: 'file' }>, 'type' | 'url' | 'name'>) => void,
  corruptNote: string | undefined,
): Promise<{ bytes: Uint8Array; sha256?: string }> {
  const note = corruptNote ? { note: corruptNote } : {};
  let bytes: Uint8Array;
  try {
    bytes = await downloadWithResume(url, ctx, (loaded, total, bytesPerSecond, retrying) =>
      report({
        state: retrying ? 'retrying' : 'downloading',
        loaded,
        total,
        bytesPerSecond,
        ...note,
      }),
    );
  } catch (e) {
    if (e instanceof HttpError && e.status === 404) {
      report({ state: 'missing', loaded: 0, total: null, bytesPerSecond: 0 });
    }
    throw e;
  }
  const known = ctx.known?.[url];
  const unlike = known ? await differsFromKnown(bytes, known) : null;
  if (unlike) {
    throw new T2LError(
      'bad-package',
      `${url}: the server's file is not the one the catalog records (${unlike}); it may have changed upstream, so it is not used`,
    );
  }
  const record = known ? null : await hubRecordFor(url, ctx);
  const damaged = record ? await differsFromHubRecord(bytes, record) : null;
  if (damaged) {
    throw new T2LError(
      'bad-package',
      `${url}: the download is not the file the Hub records at this commit (${damaged}), so nothing of it was kept; try again, and if it repeats the endpoint is serving a damaged copy`,
    );
  }
  report({ state: 'done', loaded: bytes.length, total: bytes.length, bytesPerSecond: 0, ...note });
  const sha256 = known?.sha256 ?? record?.sha256;
  return sha256 ? { bytes, sha256 } : { bytes };
}

/** Worth another try: the connection failed or broke off, or the server is briefly unwell. */
function retryable(e: unknown): boolean {
  return !(e instanceof HttpError) || e.status >= 500 || e.status === 408 || e.status === 429;
}

async function downloadWithResume(
  url: string,
  ctx: DownloadContext,
  onProgress: (loaded: number, total: number | null, bps: number, retrying: boolean) => void,
): Promise<Uint8Array> {
  const received = new Received();
  let total: number | null = null;
  /**
   * Whether a Range request may continue where this stopped. Offsets count decoded bytes, so a
   * content-coded (gzip) answer, whose ranges a server may count differently, starts over instead.
   */
  let resumable = false;
  const speed = speedMeter();
  let lastReport = 0;
  // Shown at once, so a slow server reads as "waiting", not as nothing happening.
  onProgress(0, null, 0, false);

  for (let attempt = 1; ; attempt++) {
    try {
      const headers: Record<string, string> = { ...ctx.headersFor(url) };
      if (received.length > 0) headers['Range'] = `bytes=${received.length}-`;
      const res = await fetchOrThrow(url, { headers }, ctx.signal);
      const start = Number(res.headers.get('content-range')?.match(/^bytes (\d+)-/)?.[1] ?? 0);
      if (received.length > 0 && (res.status !== 206 || start !== received.length)) {
        // The server ignored the Range request: start over rather than splice two versions.
        received.reset();
      }
      if (!res.ok || isHtmlFallback(url, res)) {
        await res.body?.cancel().catch(() => undefined);
        const status = res.ok ? 404 : res.status;
        throw new HttpError(
          url,
          status,
          `${url}: HTTP ${status}${res.ok ? ' (the server answered with its HTML page)' : ''}`,
        );
      }
      if (total === null || res.status !== 206) {
        const range = res.headers.get('content-range')?.match(/\/(\d+)$/);
        const length = res.headers.get('content-encoding')
          ? null
          : res.headers.get('content-length');
        total = range ? Number(range[1]) : length !== null ? Number(length) : null;
        resumable =
          !res.headers.get('content-encoding') && res.headers.get('accept-ranges') !== 'none';
      }
      if (total !== null) received.expect(total);
      const reader = res.body!.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        received.push(value);
        const now = performance.now();
        const bps = speed(received.length);
        if (now - lastReport > PROGRESS_EVERY_MS) {
          lastReport = now;
          onProgress(received.length, total, bps, false);
        }
      }
      if (total !== null && received.length !== total) {
        throw new Error(`received ${received.length} of ${total} bytes`);
      }
      break;
    } catch (e) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      if (!retryable(e)) throw e;
      // More bytes than announced, or an answer that cannot be resumed: start the next try afresh.
      if (!resumable || (total !== null && received.length > total)) received.reset();
      if (attempt >= RETRIES) {
        const why = e instanceof Error ? e.message : String(e);
        throw new T2LError(
          'missing-file',
          `${url}: the download failed ${RETRIES} times, the last after ${received.length} bytes (${why}); check the connection and try again`,
          { cause: e },
        );
      }
      onProgress(received.length, total, 0, true);
      await new Promise((r) => setTimeout(r, 400 * attempt));
    }
  }
  return received.bytes();
}
