/**
 * A local stand-in for the Hugging Face Hub, for tests and benchmarks: an HTTP server on
 * 127.0.0.1 (port 0 by default) that answers as the Hub does, from folders laid out like the real
 * repositories (`<root>/<owner>/<name>/<path>`, written by writeHubRepos from src/fixtures).
 *
 * What it answers, and the Hub behaviour each follows (huggingface_hub's file_download.py reads
 * these headers; the Hub's "Downloading files" docs describe the redirects):
 * - `GET|HEAD /{repo}/resolve/{revision}/{path}` (and `/datasets/...`): a regular file is answered
 *   200 with `ETag: "<git blob sha1>"`, `X-Repo-Commit`, `Content-Length`, `Accept-Ranges: bytes`;
 *   an LFS file (by extension, as the Hub's default .gitattributes: .pt .onnx .gguf .safetensors
 *   .bin ..., or over 10 MB) is answered `302` to a CDN-like path on this server (`/cdn-lfs/…`),
 *   with `X-Linked-Etag: "<sha256>"`, `X-Linked-Size`, `X-Repo-Commit` and `Location`.
 * - the CDN path answers the bytes with `ETag: "<sha256>"`, ranges (`Range` → 206 +
 *   `Content-Range`, an unsatisfiable one → 416) and HEAD.
 * - errors as the Hub words them in `X-Error-Code` / `X-Error-Message`: an unknown repository
 *   401 RepoNotFound, a gated one without a token 401 GatedRepo, an unknown revision 404
 *   RevisionNotFound, an unknown file 404 EntryNotFound.
 * - `GET /api/models/{repo}[/revision/{revision}][?blobs=true]`: `{ id, sha, siblings: [{ rfilename,
 *   size, blobId, lfs?: { sha256, size } }] }` (the Hub API's model_info with files_metadata).
 * - CORS for the page (`Access-Control-Allow-Origin: *`, the headers above exposed).
 *
 * Every request is recorded (`requests`), so a test can check that the pinned revision was the
 * one asked for (assertPinned); faults can be planted: a connection dropped after N bytes
 * (dropOnce), damaged bytes under the right ETag (corrupt), a throttled rate (bytesPerSecond).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import type { HubRepoFixture } from '../../src/fixtures/hub-repos';

export interface HubFileFacts {
  size: number;
  sha256: string;
  /** git blob id: sha1("blob <size>\0" + bytes), the Hub's ETag of a non-LFS file. */
  gitSha1: string;
}

export interface HubRepoConfig {
  repo: string;
  type?: 'model' | 'dataset';
  commit: string;
  refs: Record<string, string>;
  gated: boolean;
  /** Path inside the repo → facts (written by writeHubRepos; computed on first use when absent). */
  files?: Record<string, HubFileFacts>;
}

export interface HubRequest {
  method: string;
  /** The path and query asked for. */
  url: string;
  kind: 'resolve' | 'cdn' | 'api' | 'other';
  repo?: string;
  /** As asked (decoded), before resolving a branch to its commit. */
  revision?: string;
  file?: string;
  range?: string;
  /** Whether an Authorization header came along. */
  auth: boolean;
  status: number;
}

export interface LocalHubOptions {
  /** Folder holding `<owner>/<name>/…` and hub.json (writeHubRepos). */
  root: string;
  host?: string;
  port?: number;
  /** The token that opens gated repositories (default: any `Bearer` token). */
  token?: string;
  /** Throttle every body to this many bytes a second (benchmarks' stated download rate). */
  bytesPerSecond?: number;
}

export interface LocalHub {
  /** http://127.0.0.1:<port>: the value for HF_ENDPOINT. */
  endpoint: string;
  port: number;
  requests: HubRequest[];
  repos: HubRepoConfig[];
  /** Stops answering (connections are refused) / starts again on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** The next GET of `repo`'s `file` (on the resolve or CDN path) ends after `bytes` bytes. */
  dropOnce(repo: string, file: string, bytes: number): void;
  /**
   * Every GET of `repo`'s `file` without a Range header ends after `bytes` bytes, until a GET
   * resuming past byte 0 comes (served whole). For a browser client: when a connection ends early,
   * Chromium may report the error before the page has read the bytes already received, and a
   * client that saw none rightly starts over without a Range; the drop then repeats, so a test
   * waits for the resume instead of depending on that race.
   */
  dropUntilResumed(repo: string, file: string, bytes: number): void;
  /** Serves `file` with one byte changed (headers unchanged) until `repair`. */
  corrupt(repo: string, file: string): void;
  repair(repo: string, file: string): void;
  setGated(repo: string, gated: boolean): void;
  /**
   * Throws when any request for a repository in `pins` asked for another revision than its
   * pinned commit (a `main` request fails the test), naming the request.
   */
  assertPinned(pins: Record<string, string>): void;
}

/** How long a dropped connection stays open after its last bytes (see sendBody). */
const DROP_PAUSE_MS = 500;

/** The Hub's default .gitattributes tracks these with LFS. */
const LFS_EXT =
  /\.(pt|pth|bin|ckpt|onnx|onnx_data|gguf|safetensors|h5|msgpack|npz|pkl|zip|tar|gz|parquet|arrow|data)$/i;
const LFS_MIN_SIZE = 10 * 1024 * 1024;

const EXPOSED = [
  'ETag',
  'X-Repo-Commit',
  'X-Linked-Etag',
  'X-Linked-Size',
  'X-Error-Code',
  'X-Error-Message',
  'Content-Length',
  'Content-Range',
  'Accept-Ranges',
  'Location',
].join(', ');

export function isLfs(path: string, size: number): boolean {
  return LFS_EXT.test(path) || size >= LFS_MIN_SIZE;
}

function facts(bytes: Uint8Array): HubFileFacts {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const gitSha1 = createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
  return { size: bytes.length, sha256, gitSha1 };
}

/**
 * Writes each repository's files under `root/<owner>/<name>/` (one file made at a time) and
 * `root/hub.json` with their commits, refs, gating and each file's size and hashes. Returns the
 * configs hub.json holds. `add`: keep the repositories an existing hub.json lists (those of the
 * same name replaced), so that a folder written before gets more repositories without rewriting it.
 */
export async function writeHubRepos(
  root: string,
  repos: HubRepoFixture[],
  options: { add?: boolean } = {},
): Promise<HubRepoConfig[]> {
  const kept = options.add
    ? (
        JSON.parse(await readFile(join(root, 'hub.json'), 'utf8')) as { repos: HubRepoConfig[] }
      ).repos.filter((c) => !repos.some((r) => r.repo === c.repo))
    : [];
  const configs: HubRepoConfig[] = [...kept];
  for (const r of repos) {
    const files: Record<string, HubFileFacts> = {};
    for (const [path, contents] of Object.entries(r.files)) {
      const bytes: Uint8Array =
        typeof contents === 'function'
          ? contents()
          : typeof contents === 'string'
            ? new TextEncoder().encode(contents)
            : contents;
      const target = join(root, r.repo, path);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, bytes);
      files[path] = facts(bytes);
    }
    configs.push({ repo: r.repo, commit: r.commit, refs: r.refs, gated: r.gated, files });
  }
  await writeFile(join(root, 'hub.json'), JSON.stringify({ repos: configs }, null, 2));
  return configs;
}

/** Starts the local Hub on `root` (hub.json + folders); resolves once it listens. */
export async function startLocalHub(options: LocalHubOptions): Promise<LocalHub> {
  const { root } = options;
  const config = JSON.parse(await readFile(join(root, 'hub.json'), 'utf8')) as {
    repos: HubRepoConfig[];
  };
  const repos = config.repos;
  const requests: HubRequest[] = [];
  const drops = new Map<string, number>();
  const dropsUntilRange = new Map<string, number>();
  const corrupted = new Set<string>();
  const host = options.host ?? '127.0.0.1';
  let port = options.port ?? 0;
  let server: Server | undefined;
  const sockets = new Set<import('node:net').Socket>();

  const repoConfig = (repo: string) => repos.find((r) => r.repo === repo);

  async function fileFacts(r: HubRepoConfig, path: string): Promise<HubFileFacts | undefined> {
    r.files ??= {};
    const known = r.files[path];
    if (known) return known;
    try {
      const st = await stat(join(root, r.repo, path));
      if (!st.isFile()) return undefined;
      const f = facts(new Uint8Array(await readFile(join(root, r.repo, path))));
      r.files[path] = f;
      return f;
    } catch {
      return undefined;
    }
  }

  function byLfsHash(
    sha256: string,
  ): { r: HubRepoConfig; path: string; f: HubFileFacts } | undefined {
    for (const r of repos) {
      for (const [path, f] of Object.entries(r.files ?? {})) {
        if (f.sha256 === sha256) return { r, path, f };
      }
    }
    return undefined;
  }

  function cors(res: ServerResponse): void {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Expose-Headers', EXPOSED);
  }

  function fail(
    res: ServerResponse,
    rec: HubRequest,
    status: number,
    code: string,
    message: string,
  ): void {
    rec.status = status;
    res.statusCode = status;
    res.setHeader('X-Error-Code', code);
    res.setHeader('X-Error-Message', message);
    res.setHeader('Content-Type', 'application/json');
    res.end(rec.method === 'HEAD' ? undefined : JSON.stringify({ error: message }));
  }

  /** Sends a file (or a range of it), honouring drops, damage and throttling. */
  async function sendBody(
    req: IncomingMessage,
    res: ServerResponse,
    rec: HubRequest,
    r: HubRepoConfig,
    path: string,
    f: HubFileFacts,
    headers: Record<string, string>,
  ): Promise<void> {
    const key = `${r.repo}/${path}`;
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('Content-Type', 'application/octet-stream');
    let start = 0;
    let end = f.size - 1;
    const range = req.headers.range;
    if (range) {
      const m = /^bytes=(\d*)-(\d*)$/.exec(range);
      const from = m?.[1] ? Number(m[1]) : undefined;
      const to = m?.[2] ? Number(m[2]) : undefined;
      if (!m || (from === undefined && to === undefined)) {
        rec.status = 416;
        res.statusCode = 416;
        res.setHeader('Content-Range', `bytes */${f.size}`);
        res.end();
        return;
      }
      if (from === undefined) start = Math.max(0, f.size - to!);
      else {
        start = from;
        if (to !== undefined) end = Math.min(to, f.size - 1);
      }
      if (start >= f.size || start > end) {
        rec.status = 416;
        res.statusCode = 416;
        res.setHeader('Content-Range', `bytes */${f.size}`);
        res.end();
        return;
      }
      res.statusCode = 206;
      res.setHeader('Content-Range', `bytes ${start}-${end}/${f.size}`);
    } else {
      res.statusCode = 200;
    }
    rec.status = res.statusCode;
    res.setHeader('Content-Length', String(end - start + 1));
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    // A resume asks for bytes past the start (a `bytes=0-0` probe is not one).
    const resumes = start > 0;
    if (resumes) dropsUntilRange.delete(key);
    const dropAt = drops.get(key) ?? (range ? undefined : dropsUntilRange.get(key));
    drops.delete(key);
    const damage = corrupted.has(key);
    const rate = options.bytesPerSecond;
    let sent = 0;
    let pos = start;
    const stream = createReadStream(join(root, r.repo, path), {
      start,
      end,
      highWaterMark: 64 * 1024,
    });
    const t0 = Date.now();
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        let buf = chunk;
        if (damage && pos <= Math.floor(f.size / 2) && Math.floor(f.size / 2) < pos + buf.length) {
          buf = Buffer.from(buf);
          const i = Math.floor(f.size / 2) - pos;
          buf[i] = buf[i]! ^ 0xff;
        }
        if (dropAt !== undefined && sent + buf.length >= dropAt) {
          const head = buf.subarray(0, Math.max(0, dropAt - sent));
          await new Promise<void>((done) => res.write(head, () => done()));
          // Halfway: the connection goes, as a flaky network's does. Closed with a FIN after the
          // head is flushed, not reset: a reset lets the client's stack drop bytes it had not read
          // yet, so under load the client sometimes saw none and rightly started over without a
          // Range request (a clean-clone CI run failed app-hub-endpoint that way). Even with a FIN,
          // Chromium may end the body with an error before the page read what had arrived, so
          // the close waits a moment for the page to read the head (dropUntilResumed covers the
          // rest of that race).
          await new Promise((done) => setTimeout(done, DROP_PAUSE_MS));
          req.socket.end();
          return;
        }
        if (!res.write(buf)) await new Promise<void>((done) => res.once('drain', () => done()));
        sent += buf.length;
        pos += buf.length;
        if (rate) {
          const due = t0 + (sent / rate) * 1000;
          const wait = due - Date.now();
          if (wait > 0) await new Promise((done) => setTimeout(done, wait));
        }
      }
      res.end();
    } catch {
      req.socket.destroy();
    } finally {
      stream.destroy();
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${host}`);
    const method = req.method ?? 'GET';
    const rec: HubRequest = {
      method,
      url: url.pathname + url.search,
      kind: 'other',
      auth: typeof req.headers.authorization === 'string',
      status: 0,
      ...(typeof req.headers.range === 'string' ? { range: req.headers.range } : {}),
    };
    requests.push(rec);
    cors(res);
    if (method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Authorization, Range, Content-Type');
      rec.status = 204;
      res.statusCode = 204;
      res.end();
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      return fail(res, rec, 405, 'MethodNotAllowed', `${method} is not answered here`);
    }
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const authorized = (r: HubRepoConfig) =>
      !r.gated || (token !== undefined && (options.token === undefined || token === options.token));

    const cdn = /^\/cdn-lfs\/([0-9a-f]{64})$/.exec(url.pathname);
    if (cdn) {
      rec.kind = 'cdn';
      const hit = byLfsHash(cdn[1]!);
      if (!hit) return fail(res, rec, 404, 'EntryNotFound', 'No such object');
      rec.repo = hit.r.repo;
      rec.file = hit.path;
      return sendBody(req, res, rec, hit.r, hit.path, hit.f, { ETag: `"${hit.f.sha256}"` });
    }

    const api = /^\/api\/(models|datasets)\/(.+?)(?:\/revision\/([^/]+))?$/.exec(url.pathname);
    if (api) {
      rec.kind = 'api';
      const repo = decodeURIComponent(api[2]!);
      const revision = api[3] === undefined ? 'main' : decodeURIComponent(api[3]);
      rec.repo = repo;
      rec.revision = revision;
      const r = repoConfig(repo);
      if (!r) return fail(res, rec, 401, 'RepoNotFound', 'Repository not found');
      if (!authorized(r)) return fail(res, rec, 401, 'GatedRepo', gatedMessage(repo));
      const commit = revision === r.commit ? r.commit : r.refs[revision];
      if (!commit) return fail(res, rec, 404, 'RevisionNotFound', `Invalid rev id: ${revision}`);
      const blobs = url.searchParams.get('blobs') === 'true';
      const siblings = [];
      for (const path of Object.keys(r.files ?? {}).sort()) {
        const f = (await fileFacts(r, path))!;
        siblings.push({
          rfilename: path,
          ...(blobs
            ? {
                size: f.size,
                blobId: f.gitSha1,
                ...(isLfs(path, f.size) ? { lfs: { sha256: f.sha256, size: f.size } } : {}),
              }
            : {}),
        });
      }
      rec.status = 200;
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ id: repo, modelId: repo, sha: commit, gated: r.gated, siblings }));
      return;
    }

    const m = /^\/(?:datasets\/)?([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    if (!m) return fail(res, rec, 404, 'NotFound', 'Not a Hub path');
    rec.kind = 'resolve';
    const repo = m[1]!;
    const revision = decodeURIComponent(m[2]!);
    const path = m[3]!.split('/').map(decodeURIComponent).join('/');
    Object.assign(rec, { repo, revision, file: path });
    const r = repoConfig(repo);
    if (!r) {
      return fail(
        res,
        rec,
        401,
        'RepoNotFound',
        'Repository not found. Make sure the repository id is right and that you are signed in if it is private.',
      );
    }
    if (!authorized(r)) return fail(res, rec, 401, 'GatedRepo', gatedMessage(repo));
    const commit = revision === r.commit ? r.commit : r.refs[revision];
    if (!commit) return fail(res, rec, 404, 'RevisionNotFound', `Invalid rev id: ${revision}`);
    const f = await fileFacts(r, path);
    if (!f) return fail(res, rec, 404, 'EntryNotFound', 'Entry not found');
    const common = { 'X-Repo-Commit': commit };
    if (isLfs(path, f.size)) {
      rec.status = 302;
      res.statusCode = 302;
      res.setHeader('X-Repo-Commit', commit);
      res.setHeader('X-Linked-Etag', `"${f.sha256}"`);
      res.setHeader('X-Linked-Size', String(f.size));
      res.setHeader('ETag', `"${f.sha256}"`);
      // A signed URL on the Hub; its query is what makes it unguessable there.
      // An absolute URL, as the Hub's (its CDN is another host): huggingface_hub follows only
      // relative redirects when reading a file's metadata.
      const self = `http://${req.headers.host ?? `${host}:${port}`}`;
      res.setHeader(
        'Location',
        `${self}/cdn-lfs/${f.sha256}?X-Amz-Expires=3600&X-Amz-Signature=local`,
      );
      res.setHeader('Content-Length', '0');
      res.end();
      return;
    }
    return sendBody(req, res, rec, r, path, f, { ...common, ETag: `"${f.gitSha1}"` });
  }

  async function start(): Promise<void> {
    const s = createServer((req, res) => {
      handle(req, res).catch((e: unknown) => {
        if (!res.headersSent) {
          res.statusCode = 500;
          res.end(String(e));
        } else req.socket.destroy();
      });
    });
    // Idle connections stay open a minute: a busy test machine must not see the server close a
    // connection just as the client reuses it.
    s.keepAliveTimeout = 60_000;
    s.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((done, reject) => {
      s.once('error', reject);
      s.listen(port, host, () => done());
    });
    port = (s.address() as AddressInfo).port;
    server = s;
  }

  async function stop(): Promise<void> {
    const s = server;
    server = undefined;
    if (!s) return;
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((done) => s.close(() => done()));
  }

  await start();
  const hub: LocalHub = {
    endpoint: `http://${host}:${port}`,
    port,
    requests,
    repos,
    stop,
    start,
    dropOnce: (repo, file, bytes) => drops.set(`${repo}/${file}`, bytes),
    dropUntilResumed: (repo, file, bytes) => dropsUntilRange.set(`${repo}/${file}`, bytes),
    corrupt: (repo, file) => corrupted.add(`${repo}/${file}`),
    repair: (repo, file) => corrupted.delete(`${repo}/${file}`),
    setGated: (repo, gated) => {
      const r = repoConfig(repo);
      if (!r) throw new Error(`local hub: no repository ${repo}`);
      r.gated = gated;
    },
    assertPinned: (pins) => {
      const wrong = requests.filter(
        (q) =>
          q.repo !== undefined &&
          q.revision !== undefined &&
          q.repo in pins &&
          q.revision !== pins[q.repo],
      );
      if (wrong.length > 0) {
        throw new Error(
          `requests for other revisions than the pinned ones: ${wrong
            .map((q) => `${q.method} ${q.url} (pinned ${pins[q.repo!]})`)
            .join('; ')}`,
        );
      }
    },
  };
  return hub;
}

function gatedMessage(repo: string): string {
  return `Access to model ${repo} is restricted. You must have access to it and be authenticated to access it. Please log in.`;
}

/** Where the host guard (host-guard.mjs) lives, for `node --import`. */
export const HOST_GUARD = join(import.meta.dirname, 'host-guard.mjs');

/**
 * Environment for a CLI process that may reach the local Hub and nothing else: HF_ENDPOINT set to
 * it, and the host guard preloaded, writing refused connections to `guardLog`.
 */
export function localHubEnv(hub: LocalHub, guardLog: string): Record<string, string> {
  const url = new URL(hub.endpoint);
  return {
    HF_ENDPOINT: hub.endpoint,
    NODE_OPTIONS: `${process.env['NODE_OPTIONS'] ?? ''} --import ${HOST_GUARD}`.trim(),
    T2L_ALLOWED_HOSTS: `${url.hostname}:${url.port}`,
    T2L_HOST_GUARD_LOG: guardLog,
  };
}
