/**
 * The Hugging Face Hub endpoint and its URLs, shared by the page, the CLI and the server: which host
 * answers Hub requests (the public Hub, or a mirror set with HF_ENDPOINT / the Settings field), the
 * download URL of a file at a revision, Hub paths given on the command line, and which requests may
 * carry the user's Hugging Face token.
 *
 * The URL layout follows huggingface_hub's `hf_hub_url` (file_download.py):
 * `{endpoint}/{repo_id}/resolve/{quote(revision, safe="")}/{quote(filename)}`, with `datasets/` or
 * `spaces/` before the repo id for those repository types, and HF_ENDPOINT read as the endpoint
 * (constants.py, `ENDPOINT = os.getenv("HF_ENDPOINT", "https://huggingface.co").rstrip("/")`).
 */
import { T2LError } from '../errors';

/** The public Hub. */
export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

/** Hosts that are the public Hub itself (hf.co is its short domain). */
const PUBLIC_HUB_HOSTS = new Set(['huggingface.co', 'hf.co']);

export type HubRepoType = 'model' | 'dataset' | 'space';

/** The URL prefix of each repository type (huggingface_hub's REPO_TYPES_URL_PREFIXES). */
const TYPE_PREFIX: Record<HubRepoType, string> = {
  model: '',
  dataset: 'datasets/',
  space: 'spaces/',
};

/**
 * Checks and normalizes a Hub endpoint: an absolute http(s) URL, with no user name or password, no
 * query and no fragment; trailing slashes removed (a path prefix such as `https://host/hf` is kept).
 * Empty or undefined means the public Hub. Returns e.g. `https://huggingface.co` or
 * `http://127.0.0.1:8080/mirror`.
 *
 * @param where names the setting in errors (`HF_ENDPOINT`, `Settings → Hub endpoint`).
 * @throws T2LError('bad-input') naming the setting, what was found and what is expected.
 */
export function normalizeEndpoint(value: string | undefined, where = 'HF_ENDPOINT'): string {
  const raw = (value ?? '').trim();
  if (raw === '') return DEFAULT_HUB_ENDPOINT;
  const bad = (why: string): never => {
    throw new T2LError(
      'bad-input',
      `${where}: ${JSON.stringify(raw)} ${why}; expected a Hub address such as ${DEFAULT_HUB_ENDPOINT} or http://host:port/prefix`,
    );
  };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return bad('is not an absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    bad(`uses ${url.protocol.replace(/:$/, '')}, not http or https`);
  }
  if (url.username || url.password) bad('has a user name or password in it');
  if (url.search || raw.includes('?')) bad('has a query (?...)');
  if (url.hash || raw.includes('#')) bad('has a fragment (#...)');
  const path = url.pathname.replace(/\/+$/, '');
  return `${url.protocol}//${url.host}${path}`;
}

/** Whether `endpoint` (normalized) is the public Hub. */
export function isPublicHub(endpoint: string): boolean {
  const url = new URL(endpoint);
  return url.protocol === 'https:' && PUBLIC_HUB_HOSTS.has(url.hostname) && url.pathname === '/';
}

/**
 * Python's `urllib.parse.quote(s, safe)`: every UTF-8 byte percent-encoded except ASCII letters,
 * digits, `_.-~` and the characters of `safe`. encodeURIComponent also leaves `!'()*` alone, which
 * would give another URL (and cache key) than huggingface_hub for such names.
 */
export function pyQuote(s: string, safe = '/'): string {
  let out = '';
  for (const byte of new TextEncoder().encode(s)) {
    const c = String.fromCharCode(byte);
    out +=
      /[A-Za-z0-9_.~-]/.test(c) || (byte < 128 && safe.includes(c))
        ? c
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** `models`, `datasets` or `spaces` + `--`-joined id: huggingface_hub's cache folder of a repo. */
export function repoFolderName(repo: string, type: HubRepoType = 'model'): string {
  return [`${type}s`, ...repo.split('/')].join('--');
}

/**
 * The download URL of one file: `{endpoint}/{prefix}{repo}/resolve/{revision}/{path}` with the
 * revision encoded as one segment (`refs/pr/1` → `refs%2Fpr%2F1`) and each path segment encoded.
 */
export function hubFileUrl(
  endpoint: string,
  repo: string,
  revision: string,
  path: string,
  type: HubRepoType = 'model',
): string {
  const file = path.replace(/^\/+/, '');
  return `${endpoint}/${TYPE_PREFIX[type]}${repo}/resolve/${pyQuote(revision, '')}/${pyQuote(file)}`;
}

/** The folder URL (ending in `/`) under which a folder's files are downloaded; '' is the repo root. */
export function hubFolderUrl(
  endpoint: string,
  repo: string,
  revision: string,
  folder: string,
  type: HubRepoType = 'model',
): string {
  const clean = folder.replace(/^\/+|\/+$/g, '');
  return hubFileUrl(endpoint, repo, revision, clean ? `${clean}/` : '', type);
}

/** `host[/prefix]/repo/path` in words, for "where the files come from" (no scheme). */
export function hubLabel(endpoint: string, repo: string, path = ''): string {
  const url = new URL(endpoint);
  return `${url.host}${url.pathname.replace(/\/$/, '')}/${repo}/${path}`.replace(/\/+$/, '');
}

/** The host (and port) of the endpoint, for messages: "huggingface.co", "127.0.0.1:5300". */
export function endpointHost(endpoint: string): string {
  return new URL(endpoint).host;
}

/**
 * Whether a request to `url` may carry the user's Hugging Face token: only when it goes to the
 * endpoint in force (same scheme, host and port, under its path prefix). With the public Hub as
 * the endpoint, hf.co counts as the same host. Everything else, the CDN a large file redirects to
 * included, gets no token: those URLs are signed, and another host must never see the token.
 */
export function sendsToken(url: string, endpoint: string): boolean {
  let u: URL;
  let e: URL;
  try {
    u = new URL(url);
    e = new URL(endpoint);
  } catch {
    return false;
  }
  if (isPublicHub(endpoint)) return u.protocol === 'https:' && PUBLIC_HUB_HOSTS.has(u.hostname);
  if (u.origin !== e.origin) return false;
  const prefix = e.pathname.replace(/\/+$/, '');
  return prefix === '' || u.pathname === prefix || u.pathname.startsWith(`${prefix}/`);
}

/** `{ Authorization: Bearer … }` for a URL of the endpoint in force when there is a token; else {}. */
export function hubAuthHeaders(
  url: string,
  endpoint: string,
  token: string | undefined,
): Record<string, string> {
  return token && sendsToken(url, endpoint) ? { Authorization: `Bearer ${token}` } : {};
}

/** A file or folder on the Hub, as given on the command line. */
export interface HubPath {
  type: HubRepoType;
  /** owner/name */
  repo: string;
  /** Path inside the repo, no leading or trailing slash; '' for the repo root. */
  path: string;
  /** Branch, tag or commit, when the path names one. */
  revision?: string;
}

/**
 * One segment of a repo id: huggingface_hub's validate_repo_id (letters, digits, `-_.`, not
 * starting or ending with `-` or `.`, at most 96 characters; no `--` or `..` anywhere).
 */
const REPO_SEGMENT = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,94}[A-Za-z0-9_])?$/;
/** A path segment inside a repo: no empty, `.` or `..` segment, no backslash or control character. */
const PATH_SEGMENT = /^(?!\.\.?$)[^\\\p{Cc}]+$/u;

/** Whether `s` is a repo id `owner/name`. */
export function isRepoId(s: string): boolean {
  const parts = s.split('/');
  return (
    parts.length === 2 &&
    !s.includes('--') &&
    !s.includes('..') &&
    !s.endsWith('.git') &&
    parts.every((p) => REPO_SEGMENT.test(p))
  );
}

/** A Hub commit id: 40 lowercase hex digits. */
export function isCommit(revision: string): boolean {
  return /^[0-9a-f]{40}$/.test(revision);
}

const REVISION = /^[^\s\\?#\p{Cc}]{1,200}$/u;

function hubPathError(input: string, why: string): T2LError {
  return new T2LError(
    'bad-input',
    `${JSON.stringify(input)}: ${why}; a Hub path is owner/repo/path/in/repo or hf://owner/repo/path@revision (hf://owner/repo@revision/path too)`,
  );
}

/**
 * Parses a Hub path: `owner/repo[/path]`, or `hf://[datasets/|spaces/]owner/repo[/path][@revision]`
 * with the revision after the path (`hf://owner/repo/path@rev`) or, as huggingface_hub's
 * HfFileSystem writes it, after the repo id (`hf://owner/repo@rev/path`). Returns undefined when
 * `input` without `hf://` does not have the shape of one (it is then a local path); throws
 * T2LError('bad-input') for an `hf://` path that is malformed.
 *
 * A bare `owner/repo/...` is also a relative local path: callers look on disk first.
 */
export function parseHubPath(input: string): HubPath | undefined {
  const explicit = /^hf:\/\//i.test(input);
  if (!explicit) {
    if (input.includes('@') || input.startsWith('/') || input.startsWith('.')) return undefined;
    const parts = input.replace(/\/+$/, '').split('/');
    if (parts.length < 2) return undefined;
    const repo = `${parts[0]}/${parts[1]}`;
    if (!isRepoId(repo) || !parts.slice(2).every((p) => PATH_SEGMENT.test(p))) return undefined;
    return { type: 'model', repo, path: parts.slice(2).join('/') };
  }
  let rest = input.slice('hf://'.length);
  let type: HubRepoType = 'model';
  for (const t of ['dataset', 'space'] as const) {
    if (rest.startsWith(TYPE_PREFIX[t])) {
      type = t;
      rest = rest.slice(TYPE_PREFIX[t].length);
    }
  }
  let revision: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    if (rest.indexOf('@', at + 1) >= 0) throw hubPathError(input, 'more than one "@revision"');
    const before = rest.slice(0, at);
    const after = rest.slice(at + 1);
    const slash = after.indexOf('/');
    if (before.split('/').length === 2 && slash >= 0) {
      // hf://owner/repo@rev/path: a revision such as refs/pr/1 holds slashes, so the repo's files
      // cannot be told from it; huggingface_hub writes those URL-encoded (refs%2Fpr%2F1).
      revision = decodeURIComponent(after.slice(0, slash));
      rest = `${before}/${after.slice(slash + 1)}`;
    } else {
      revision = decodeURIComponent(after);
      rest = before;
    }
    if (!REVISION.test(revision))
      throw hubPathError(input, `bad revision ${JSON.stringify(revision)}`);
  }
  const parts = rest.replace(/\/+$/, '').split('/');
  if (parts.length < 2) throw hubPathError(input, 'no owner/repo');
  const repo = `${parts[0]}/${parts[1]}`;
  if (!isRepoId(repo)) throw hubPathError(input, `${JSON.stringify(repo)} is not a repo id`);
  const path = parts.slice(2);
  if (!path.every((p) => PATH_SEGMENT.test(p))) {
    throw hubPathError(input, 'a path segment is empty, "." or ".."');
  }
  return { type, repo, path: path.join('/'), ...(revision !== undefined ? { revision } : {}) };
}

/** The hf:// form of a Hub path (`hf://owner/repo/path@revision`), for messages and model cards. */
export function formatHubPath(p: HubPath): string {
  const path = p.path ? `/${p.path}` : '';
  const rev = p.revision !== undefined ? `@${pyQuote(p.revision, '')}` : '';
  return `hf://${TYPE_PREFIX[p.type]}${p.repo}${path}${rev}`;
}

/**
 * What transformers.js needs to fetch from the endpoint: `env.remoteHost` (with a trailing slash)
 * and `env.remotePathTemplate` as transformers.js's defaults, so every file comes from
 * `{endpoint}/{model}/resolve/{revision}/{file}`.
 */
export function transformersRemote(endpoint: string): {
  remoteHost: string;
  remotePathTemplate: string;
} {
  return { remoteHost: `${endpoint}/`, remotePathTemplate: '{model}/resolve/{revision}/' };
}
