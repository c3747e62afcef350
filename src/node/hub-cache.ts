/**
 * Hub downloads for the CLI and the server, into the standard Hugging Face cache, so files fetched
 * by `huggingface-cli download` (huggingface_hub) are reused here and the other way round.
 *
 * Cache layout (huggingface_hub "Understand caching" and the Hub's "Hub Local Cache" docs):
 *   <cache>/models--<owner>--<name>/blobs/<etag>                file contents, named by ETag
 *                                   snapshots/<commit>/<path>   relative symlinks to ../../blobs/<etag>
 *                                   refs/<revision>             the commit a branch or tag was at
 * <cache> is $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub. The ETag is the
 * file's sha256 for LFS files (X-Linked-Etag) and its git blob id otherwise (ETag); partial
 * downloads are blobs/<etag>.incomplete, resumed with a Range request.
 *
 * Per file, as huggingface_hub's hf_hub_download: a commit already in snapshots/ is used with no
 * request; otherwise a HEAD of `{endpoint}/{repo}/resolve/{revision}/{path}` (redirects not
 * followed: the 302 of an LFS file carries X-Repo-Commit, X-Linked-Etag and X-Linked-Size) gives
 * the commit, ETag and size; the bytes come from the redirect's Location. Without network, or with
 * HF_HUB_OFFLINE=1, refs/ and snapshots/ answer alone. Each download is checked: its size, and its
 * hash against the ETag (sha256 for LFS, the git blob sha1 otherwise) and any hash the catalog
 * records. The token goes to the endpoint in force only (sendsToken).
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync, statSync } from 'node:fs';
import {
  mkdir,
  readFile,
  rename,
  rm,
  stat,
  symlink,
  truncate,
  writeFile,
  copyFile,
} from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { T2LError } from '../core/errors';
import {
  endpointHost,
  hubAuthHeaders,
  hubFileUrl,
  isCommit,
  normalizeEndpoint,
  repoFolderName,
  type HubRepoType,
} from '../core/hub/endpoint';

export interface HubProgress {
  /** repo/path */
  file: string;
  loaded: number;
  total: number;
  /** Whether the file came from the cache (no download). */
  cached: boolean;
  done: boolean;
}

export interface HubSettings {
  /** The endpoint in force, normalized (HF_ENDPOINT). */
  endpoint: string;
  token?: string | undefined;
  /** The hub cache folder (…/huggingface/hub). */
  cacheDir: string;
  /** HF_HUB_OFFLINE: never ask the network, only the cache. */
  offline: boolean;
  progress?: ((p: HubProgress) => void) | undefined;
  /** How many times a dropped download is resumed before giving up (default 5). */
  retries?: number;
  fetch?: typeof fetch;
}

export interface HubFileRef {
  type?: HubRepoType;
  repo: string;
  revision: string;
  /** Path inside the repo. */
  path: string;
}

export interface KnownFile {
  size?: number;
  sha256?: string;
}

export interface HubFile {
  /** The file in the cache's snapshot folder. */
  path: string;
  commit: string;
  /** Whether it was downloaded now (false: already in the cache). */
  downloaded: boolean;
}

const TRUE = new Set(['1', 'ON', 'YES', 'TRUE']);

/** The Hugging Face home: $HF_HOME, else $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface. */
export function hfHome(env: NodeJS.ProcessEnv = process.env): string {
  return env['HF_HOME'] || join(env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'huggingface');
}

/**
 * The Hub settings from the environment as huggingface_hub reads it: HF_ENDPOINT (checked),
 * HF_TOKEN (or HUGGING_FACE_HUB_TOKEN, or the token file `huggingface-cli login` writes at
 * $HF_TOKEN_PATH or $HF_HOME/token), HF_HUB_CACHE / HF_HOME, HF_HUB_OFFLINE.
 *
 * @throws T2LError('bad-input') for an HF_ENDPOINT that is not an http(s) URL.
 */
export function hubSettingsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  progress?: (p: HubProgress) => void,
): HubSettings {
  const home = hfHome(env);
  let token = env['HF_TOKEN'] || env['HUGGING_FACE_HUB_TOKEN'] || undefined;
  if (!token) {
    try {
      token = readFileSync(env['HF_TOKEN_PATH'] || join(home, 'token'), 'utf8').trim() || undefined;
    } catch {
      token = undefined;
    }
  }
  return {
    endpoint: normalizeEndpoint(env['HF_ENDPOINT'], 'HF_ENDPOINT'),
    token,
    cacheDir: env['HF_HUB_CACHE'] || join(home, 'hub'),
    offline: TRUE.has((env['HF_HUB_OFFLINE'] ?? '').toUpperCase()),
    progress,
  };
}

/** What went wrong with a Hub request, for callers that try another file on `entry-not-found`. */
export type HubErrorKind =
  | 'unreachable'
  | 'offline'
  | 'entry-not-found'
  | 'revision-not-found'
  | 'repo-not-found'
  | 'gated'
  | 'forbidden'
  | 'damaged'
  | 'http'
  | 'not-a-hub';

export class HubError extends T2LError {
  readonly kind: HubErrorKind;
  constructor(kind: HubErrorKind, message: string, options?: { cause?: unknown }) {
    super(kind === 'damaged' ? 'bad-input' : 'missing-file', message, options);
    this.kind = kind;
  }
}

function repoDir(s: HubSettings, ref: HubFileRef): string {
  return join(s.cacheDir, repoFolderName(ref.repo, ref.type ?? 'model'));
}

function snapshotPath(s: HubSettings, ref: HubFileRef, commit: string): string {
  return join(repoDir(s, ref), 'snapshots', commit, ...ref.path.split('/'));
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The commit a revision stands for in the cache: itself, or what refs/<revision> records. */
async function cachedCommit(s: HubSettings, ref: HubFileRef): Promise<string | undefined> {
  if (isCommit(ref.revision)) return ref.revision;
  try {
    const commit = (
      await readFile(join(repoDir(s, ref), 'refs', ...ref.revision.split('/')), 'utf8')
    ).trim();
    return isCommit(commit) ? commit : undefined;
  } catch {
    return undefined;
  }
}

async function fromCache(s: HubSettings, ref: HubFileRef): Promise<HubFile | undefined> {
  const commit = await cachedCommit(s, ref);
  if (commit === undefined) return undefined;
  const path = snapshotPath(s, ref, commit);
  return isFile(path) ? { path, commit, downloaded: false } : undefined;
}

/** "connection refused", "host not found"...: the reason of a failed fetch, in words. */
function networkReason(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } })?.cause;
  const code = cause?.code ?? (e as { code?: string })?.code;
  const words: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ENOTFOUND: 'host not found',
    EAI_AGAIN: 'name lookup failed',
    ETIMEDOUT: 'timed out',
    ECONNRESET: 'connection reset',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    UND_ERR_CONNECT_TIMEOUT: 'timed out',
    UND_ERR_SOCKET: 'connection closed',
  };
  if (code && words[code]) return words[code];
  return cause?.message ?? (e instanceof Error ? e.message : String(e));
}

function where(s: HubSettings, ref: HubFileRef): string {
  return `${ref.repo}/${ref.path} at ${ref.revision}`;
}

/** One line: the host that could not be reached, that nothing is cached, what to do instead. */
function unreachable(
  s: HubSettings,
  ref: HubFileRef,
  e: unknown,
  instead: string | undefined,
): HubError {
  const host = endpointHost(s.endpoint);
  const how = s.offline
    ? 'HF_HUB_OFFLINE is set'
    : `cannot reach the Hub at ${host} (${networkReason(e)})`;
  return new HubError(
    s.offline ? 'offline' : 'unreachable',
    `${how}, and nothing is cached for ${where(s, ref)} in ${s.cacheDir}; ` +
      `connect to the network${s.offline ? ' and unset HF_HUB_OFFLINE' : ''}, set HF_ENDPOINT to a Hub mirror you can reach` +
      (instead ? `, or pass ${instead}` : ''),
    { cause: e },
  );
}

function statusError(s: HubSettings, ref: HubFileRef, res: Response, url: string): HubError {
  const code = res.headers.get('x-error-code') ?? '';
  const host = endpointHost(s.endpoint);
  const page = `${s.endpoint}/${ref.repo}`;
  if (
    code === 'GatedRepo' ||
    (res.status === 401 && s.token === undefined && code !== 'RepoNotFound')
  ) {
    return new HubError(
      'gated',
      `${ref.repo} on ${host} is gated: it needs a Hugging Face token. Accept its terms at ${page} while signed in, then set HF_TOKEN to a token with read access (or run \`huggingface-cli login\`)`,
    );
  }
  if (res.status === 403) {
    return new HubError(
      'forbidden',
      `${ref.repo} on ${host}: your Hugging Face token has no access (403); accept the repository's terms at ${page} with the account the token belongs to, or use a token that has access`,
    );
  }
  if (code === 'RepoNotFound' || res.status === 401) {
    return new HubError(
      'repo-not-found',
      `${ref.repo}: no such repository on ${host}, or it is private (set HF_TOKEN to a token that can read it)`,
    );
  }
  if (code === 'RevisionNotFound') {
    return new HubError(
      'revision-not-found',
      `${ref.repo}: no revision ${ref.revision} on ${host}`,
    );
  }
  if (res.status === 404) {
    return new HubError(
      'entry-not-found',
      `${ref.path}: no such file in ${ref.repo} at ${ref.revision} on ${host}`,
    );
  }
  return new HubError('http', `${host} answered ${res.status} ${res.statusText} for ${url}`);
}

function etagOf(value: string | null): string | undefined {
  if (!value) return undefined;
  return value.replace(/^W\//, '').replace(/^"|"$/g, '') || undefined;
}

interface Metadata {
  commit: string;
  etag: string;
  size: number;
  /** Where the bytes are: the resolve URL, or the CDN an LFS file redirects to. */
  location: string;
  /**
   * Whether `location` is the Hub's hand-off to its storage (a signed URL): it gets no token,
   * wherever it points, as the real Hub's CDN is another host.
   */
  handoff: boolean;
}

/**
 * Runs a request again after a network error (not a Hub answer), twice, 100 and 400 ms later: a
 * kept-alive connection the server closed at the moment it was reused resets once, and that is not
 * an unreachable Hub (huggingface_hub retries its HEAD the same way, http_backoff).
 */
async function withRetries<T>(request: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await request();
    } catch (e) {
      if (e instanceof HubError || attempt >= 2) throw e;
      await new Promise((done) => setTimeout(done, 100 * 4 ** attempt));
    }
  }
}

/** HEAD of the resolve URL, following only redirects that are not the LFS hand-off. */
async function metadata(s: HubSettings, ref: HubFileRef): Promise<Metadata> {
  const doFetch = s.fetch ?? fetch;
  let url = hubFileUrl(s.endpoint, ref.repo, ref.revision, ref.path, ref.type);
  for (let hop = 0; hop < 6; hop++) {
    const res = await doFetch(url, {
      method: 'HEAD',
      redirect: 'manual',
      headers: { 'Accept-Encoding': 'identity', ...hubAuthHeaders(url, s.endpoint, s.token) },
    });
    const commit = res.headers.get('x-repo-commit');
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location && !commit) {
      url = new URL(location, url).href; // a renamed repository: the Hub moves it on
      continue;
    }
    if (res.status >= 400) throw statusError(s, ref, res, url);
    const etag = etagOf(res.headers.get('x-linked-etag') ?? res.headers.get('etag'));
    const size = Number(res.headers.get('x-linked-size') ?? res.headers.get('content-length'));
    if (!commit || !isCommit(commit) || !etag || !Number.isSafeInteger(size) || size < 0) {
      throw new HubError(
        'not-a-hub',
        `${endpointHost(s.endpoint)} answered ${url} without the Hub's X-Repo-Commit, ETag and size headers: is HF_ENDPOINT (${s.endpoint}) a Hugging Face Hub or mirror?`,
      );
    }
    const handoff = res.status >= 300 && location !== null;
    return { commit, etag, size, location: handoff ? new URL(location, url).href : url, handoff };
  }
  throw new HubError('http', `${url}: too many redirects`);
}

async function hashFile(
  path: string,
  algorithm: 'sha256' | 'sha1',
  prefix?: string,
): Promise<string> {
  const hash = createHash(algorithm);
  if (prefix) hash.update(prefix);
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/**
 * Downloads `meta.location` into `part`, resuming what is there with a Range request and again
 * after a dropped connection (up to s.retries times). Redirects are followed one by one; the
 * token goes to the endpoint's resolve URL only, never to a storage hand-off or redirect target.
 */
async function download(
  s: HubSettings,
  ref: HubFileRef,
  meta: Metadata,
  part: string,
): Promise<void> {
  const doFetch = s.fetch ?? fetch;
  const file = `${ref.repo}/${ref.path}`;
  const retries = s.retries ?? 5;
  let lastError: unknown;
  for (let attempt = 0; attempt <= retries; attempt++) {
    let have = await sizeOf(part);
    if (have > meta.size) {
      await truncate(part, 0);
      have = 0;
    }
    if (have === meta.size) return;
    try {
      let url = meta.location;
      let res: Response | undefined;
      for (let hop = 0; hop < 6; hop++) {
        res = await doFetch(url, {
          redirect: 'manual',
          headers: {
            'Accept-Encoding': 'identity',
            ...(have > 0 ? { Range: `bytes=${have}-` } : {}),
            ...(meta.handoff || hop > 0 ? {} : hubAuthHeaders(url, s.endpoint, s.token)),
          },
        });
        const location = res.headers.get('location');
        if (res.status >= 300 && res.status < 400 && location) {
          await res.body?.cancel();
          url = new URL(location, url).href;
          continue;
        }
        break;
      }
      if (!res) throw new HubError('http', `${meta.location}: no answer`);
      if (res.status === 416) {
        await res.body?.cancel();
        await truncate(part, 0);
        continue;
      }
      if (res.status >= 400) throw statusError(s, ref, res, url);
      let start = 0;
      if (res.status === 206) {
        const m = /^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '');
        start = m ? Number(m[1]) : -1;
        if (start !== have) {
          // Not the range asked for: start over.
          await res.body?.cancel();
          await truncate(part, 0);
          continue;
        }
      } else if (have > 0) {
        await truncate(part, 0); // a 200 to a Range request: the whole file again
      }
      if (!res.body) throw new HubError('http', `${url}: empty answer`);
      const out = createWriteStream(part, { flags: start > 0 ? 'a' : 'w' });
      let loaded = start;
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          if (!out.write(chunk)) await new Promise<void>((done) => out.once('drain', () => done()));
          loaded += chunk.length;
          s.progress?.({ file, loaded, total: meta.size, cached: false, done: false });
        }
      } finally {
        await new Promise<void>((done, reject) =>
          out.end((e?: Error | null) => (e ? reject(e) : done())),
        );
      }
      if ((await sizeOf(part)) >= meta.size) return;
      lastError = new Error(`the connection ended at byte ${loaded} of ${meta.size}`);
    } catch (e) {
      if (e instanceof HubError) throw e;
      lastError = e; // dropped: resume from what arrived
    }
    await new Promise((done) => setTimeout(done, Math.min(2000, 100 * 2 ** attempt)));
  }
  throw new HubError(
    'unreachable',
    `${file}: the download from ${endpointHost(s.endpoint)} kept breaking off (${networkReason(lastError)}) after ${retries} resumes; ${await sizeOf(part)} of ${meta.size} bytes are kept in the cache, run again to resume`,
    { cause: lastError },
  );
}

/** Checks a finished download's size and hashes; removes it and throws when one differs. */
async function verify(
  ref: HubFileRef,
  meta: Metadata,
  part: string,
  known: KnownFile | undefined,
): Promise<void> {
  const size = await sizeOf(part);
  const damaged = async (what: string): Promise<never> => {
    await rm(part, { force: true });
    throw new HubError(
      'damaged',
      `${ref.repo}/${ref.path}: the download is damaged: ${what}; it was deleted, run again (if this repeats, the endpoint serves other bytes than the Hub published)`,
    );
  };
  if (size !== meta.size) await damaged(`${size} bytes arrived, the Hub announced ${meta.size}`);
  if (known?.size !== undefined && size !== known.size) {
    await damaged(`${size} bytes, the catalog records ${known.size}`);
  }
  const wantSha256 = /^[0-9a-f]{64}$/.test(meta.etag) ? meta.etag : undefined;
  if (wantSha256 || known?.sha256) {
    const got = await hashFile(part, 'sha256');
    if (wantSha256 && got !== wantSha256)
      await damaged(`its sha256 is ${got}, its ETag says ${wantSha256}`);
    if (known?.sha256 && got !== known.sha256) {
      await damaged(`its sha256 is ${got}, the catalog records ${known.sha256}`);
    }
  }
  if (/^[0-9a-f]{40}$/.test(meta.etag)) {
    const got = await hashFile(part, 'sha1', `blob ${size}\0`);
    if (got !== meta.etag) await damaged(`its git blob id is ${got}, its ETag says ${meta.etag}`);
  }
}

/** snapshots/<commit>/<path> → ../../blobs/<etag>, relative as huggingface_hub links it. */
async function link(snapshot: string, blob: string): Promise<void> {
  await mkdir(dirname(snapshot), { recursive: true });
  await rm(snapshot, { force: true });
  try {
    await symlink(relative(dirname(snapshot), blob), snapshot);
  } catch {
    await copyFile(blob, snapshot); // file systems without symlinks (huggingface_hub does the same)
  }
}

async function writeRef(s: HubSettings, ref: HubFileRef, commit: string): Promise<void> {
  if (ref.revision === commit) return;
  const path = join(repoDir(s, ref), 'refs', ...ref.revision.split('/'));
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, commit);
}

/**
 * One file of a Hub repository, from the cache or downloaded into it. `instead` says, in the
 * one-line error when the Hub cannot be reached, what the user can pass instead (a local folder).
 * `checkSize` bounds a download by the size the Hub announces, before any byte is fetched (a
 * cached file is the caller's to check).
 *
 * @returns the file's path in the cache's snapshot folder and the commit it is at.
 * @throws HubError: unreachable/offline with nothing cached, gated, not found, damaged.
 */
export async function hubFile(
  s: HubSettings,
  ref: HubFileRef,
  options: {
    known?: KnownFile;
    instead?: string;
    /** Called with the size the Hub announces before a download: throws to refuse the file. */
    checkSize?: (bytes: number) => void;
  } = {},
): Promise<HubFile> {
  const file = `${ref.repo}/${ref.path}`;
  if (isCommit(ref.revision)) {
    const cached = await fromCache(s, ref);
    if (cached) {
      s.progress?.({ file, loaded: 0, total: 0, cached: true, done: true });
      return cached;
    }
  }
  if (s.offline) {
    const cached = await fromCache(s, ref);
    if (cached) return cached;
    throw unreachable(s, ref, new Error('offline'), options.instead);
  }
  let meta: Metadata;
  try {
    meta = await withRetries(() => metadata(s, ref));
  } catch (e) {
    if (e instanceof HubError) throw e;
    const cached = await fromCache(s, ref);
    if (cached) {
      s.progress?.({ file, loaded: 0, total: 0, cached: true, done: true });
      return cached;
    }
    throw unreachable(s, ref, e, options.instead);
  }
  options.checkSize?.(meta.size);
  const snapshot = snapshotPath(s, ref, meta.commit);
  const blob = join(repoDir(s, ref), 'blobs', meta.etag);
  if (isFile(snapshot)) {
    await writeRef(s, ref, meta.commit);
    s.progress?.({ file, loaded: meta.size, total: meta.size, cached: true, done: true });
    return { path: snapshot, commit: meta.commit, downloaded: false };
  }
  let downloaded = false;
  if (!(isFile(blob) && (await sizeOf(blob)) === meta.size)) {
    const part = `${blob}.incomplete`;
    await mkdir(dirname(blob), { recursive: true });
    await download(s, ref, meta, part);
    await verify(ref, meta, part, options.known);
    await rename(part, blob);
    downloaded = true;
  }
  await link(snapshot, blob);
  await writeRef(s, ref, meta.commit);
  s.progress?.({ file, loaded: meta.size, total: meta.size, cached: !downloaded, done: true });
  return { path: snapshot, commit: meta.commit, downloaded };
}

/** The snapshot folder of `folder` inside a repo at a commit (where hubFile put its files). */
export function snapshotFolder(
  s: HubSettings,
  ref: Omit<HubFileRef, 'path'>,
  commit: string,
  folder: string,
): string {
  return join(
    s.cacheDir,
    repoFolderName(ref.repo, ref.type ?? 'model'),
    'snapshots',
    commit,
    ...folder.split('/').filter(Boolean),
  );
}
