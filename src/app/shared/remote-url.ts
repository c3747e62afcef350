/** Checks the remote endpoint typed in Settings before anything is sent to it. */
import type { RemoteEndpoint } from '../worker/protocol';

/**
 * Why this text is not a usable endpoint URL, or null when it is (or is empty: no endpoint).
 * An endpoint is an absolute http(s) URL of the server's root; the OIP paths are added to it.
 */
export function remoteUrlProblem(text: string): string | null {
  const t = text.trim();
  if (!t) return null;
  let url: URL;
  try {
    url = new URL(t);
  } catch {
    return /^[\w.-]+(:\d+)?(\/|$)/.test(t)
      ? `Not a URL: “${t}”. Start it with http:// or https://, e.g. http://${t}`
      : `Not a URL: “${t}”. Enter the server's address, e.g. http://localhost:8080`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `Not an http(s) URL: “${t}”. The endpoint is the server's address, e.g. http://localhost:8080`;
  }
  if (url.search || url.hash)
    return 'Leave out ?query and #fragment: the endpoint is the server’s root.';
  if (/\/v2\/models(\/|$)/.test(url.pathname)) {
    return `Give the server's root, without /v2/models/…: ${url.origin}${url.pathname.replace(/\/v2\/models.*$/, '')}`;
  }
  return null;
}

/**
 * The remote endpoint a generation request carries (GenerateRequest.remote): the URL typed in
 * Settings, with its token when one is given, if the URL is usable (remoteUrlProblem); else none.
 */
export function remoteAccess(settings: { remoteUrl: string; remoteToken: string }): {
  remote?: RemoteEndpoint;
} {
  if (!settings.remoteUrl || remoteUrlProblem(settings.remoteUrl)) return {};
  return {
    remote: {
      url: settings.remoteUrl,
      ...(settings.remoteToken ? { token: settings.remoteToken } : {}),
    },
  };
}
