/**
 * The Hugging Face Hub endpoint as the page uses it (Settings; the public Hub by default): every
 * Hub URL the page builds starts with it, and the token is sent to it only. The rules themselves
 * (validation, URL layout, which URL gets the token) live in src/core/hub/endpoint.ts, shared with
 * the CLI and the server; this module gives them the page's vocabulary (a Settings value that may
 * be invalid while typed, in which case the public Hub stays in force). Pure (no store): the
 * workers use sendsTokenTo too.
 */
import { T2LError } from '../../core/errors';
import {
  DEFAULT_HUB_ENDPOINT,
  hubFileUrl,
  isPublicHub as coreIsPublicHub,
  normalizeEndpoint,
  sendsToken,
} from '../../core/hub/endpoint';

export const PUBLIC_HUB = DEFAULT_HUB_ENDPOINT;

const SETTING = 'Settings → Hub endpoint';

/**
 * Why `value` cannot be a Hub endpoint, or null when it can (empty: the public Hub). An endpoint
 * is an http(s) origin with an optional path prefix, no query, fragment or credentials.
 */
export function hubEndpointProblem(value: string): string | null {
  try {
    normalizeEndpoint(value, SETTING);
    return null;
  } catch (err) {
    if (err instanceof T2LError) return err.message;
    throw err;
  }
}

/** A valid endpoint without its trailing slashes; the public Hub for '' (validate first). */
export function normalizeHubEndpoint(value: string): string {
  return normalizeEndpoint(value, SETTING);
}

/** The endpoint in force for a Settings value: the value when valid, else the public Hub. */
export function hubEndpointFor(value: string): string {
  return hubEndpointProblem(value) ? PUBLIC_HUB : normalizeHubEndpoint(value);
}

export function isPublicHub(endpoint: string): boolean {
  return coreIsPublicHub(endpoint);
}

/**
 * {endpoint}/{repo}/resolve/{revision}/{path}: the Hub's download URL of a file (or, with a
 * folder path and a trailing slash, of a folder's files), quoted as huggingface_hub quotes it so
 * that the page, the CLI and the HF cache agree on one URL per file.
 */
export function hubResolveUrl(
  endpoint: string,
  repo: string,
  revision: string,
  path: string,
): string {
  return hubFileUrl(endpoint, repo, revision, path);
}

/**
 * Whether the Hugging Face token may go with a request for `url`: only to the endpoint in force
 * (its origin, under its path); for the public Hub, to huggingface.co and hf.co over https.
 */
export function sendsTokenTo(url: string, endpoint: string): boolean {
  return sendsToken(url, endpoint);
}

/** The endpoint as the page names it: host and path, e.g. "huggingface.co", "mirror.lan/hf". */
export function hubEndpointName(endpoint: string): string {
  const url = new URL(endpoint);
  return `${url.host}${url.pathname.replace(/\/+$/, '')}`;
}
