/**
 * The Hugging Face Hub endpoint the page uses (Settings; the public Hub by default): every Hub URL
 * the page builds starts with it, and the token is sent to it only. The same switch as
 * huggingface_hub's HF_ENDPOINT and transformers.js's env.remoteHost, for mirrors and proxies.
 * Pure (no store): the workers use sendsTokenTo too.
 */
export const PUBLIC_HUB = 'https://huggingface.co';

/**
 * Why `value` cannot be a Hub endpoint, or null when it can (empty: the public Hub). An endpoint
 * is an http(s) origin with an optional path prefix, no query, fragment or credentials.
 */
export function hubEndpointProblem(value: string): string | null {
  const text = value.trim();
  if (!text) return null;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `"${text}" is not a URL: give one like https://hf-mirror.example.`;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return `The Hub endpoint must be an http(s) URL, found ${url.protocol.replace(/:$/, '')}.`;
  }
  if (url.username || url.password) {
    return 'The Hub endpoint must not hold a user name or password: put the token in the field above.';
  }
  if (url.search || url.hash || text.includes('?') || text.includes('#')) {
    return 'The Hub endpoint must not have a query (?…) or fragment (#…).';
  }
  return null;
}

/** A valid endpoint without its trailing slashes; the public Hub for '' (validate first). */
export function normalizeHubEndpoint(value: string): string {
  const text = value.trim();
  if (!text) return PUBLIC_HUB;
  const url = new URL(text);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** The endpoint in force for a Settings value: the value when valid, else the public Hub. */
export function hubEndpointFor(value: string): string {
  return hubEndpointProblem(value) ? PUBLIC_HUB : normalizeHubEndpoint(value);
}

export function isPublicHub(endpoint: string): boolean {
  return endpoint === PUBLIC_HUB;
}

/**
 * {endpoint}/{repo}/resolve/{revision}/{path}: the Hub's download URL of a file (or, with a
 * folder path and a trailing slash, of a folder's files). Each path segment is percent-encoded.
 */
export function hubResolveUrl(
  endpoint: string,
  repo: string,
  revision: string,
  path: string,
): string {
  const segments = path.split('/').filter(Boolean).map(encodeURIComponent);
  const tail = segments.join('/') + (path.endsWith('/') && segments.length ? '/' : '');
  return `${endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${tail}`;
}

/**
 * Whether the Hugging Face token may go with a request for `url`: only to the endpoint in force
 * (its origin, under its path); for the public Hub, to huggingface.co and hf.co, as before.
 */
export function sendsTokenTo(url: string, endpoint: string): boolean {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return false;
  }
  if (isPublicHub(endpoint)) {
    return (
      target.protocol === 'https:' &&
      (target.hostname === 'huggingface.co' || target.hostname === 'hf.co')
    );
  }
  const base = new URL(endpoint);
  if (target.origin !== base.origin) return false;
  const prefix = base.pathname.replace(/\/+$/, '');
  return !prefix || target.pathname === prefix || target.pathname.startsWith(`${prefix}/`);
}

/** The endpoint as the page names it: host and path, e.g. "huggingface.co", "mirror.lan/hf". */
export function hubEndpointName(endpoint: string): string {
  const url = new URL(endpoint);
  return `${url.host}${url.pathname.replace(/\/+$/, '')}`;
}
