/**
 * Who may call the server: the Host check against DNS rebinding on a loopback listener, the CORS
 * allow-list (with its preflights), and the bearer token.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { INFERENCE_HEADER } from '../core/remote/oip';
import { HttpError } from './http-error';
import { send } from './http-io';

export const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);
const EXPOSED_HEADERS = `${INFERENCE_HEADER}, Content-Disposition, Retry-After`;
const ALLOWED_HEADERS = `Authorization, Content-Type, ${INFERENCE_HEADER}`;

export function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Throws 401 unless the request carries the token (compared as hashes, in constant time). */
export function checkToken(req: IncomingMessage, tokenHash: Buffer | undefined): void {
  if (!tokenHash) return;
  const header = req.headers.authorization;
  const m = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) {
    throw new HttpError(401, 'this server needs a token: send "Authorization: Bearer <token>"', {
      'WWW-Authenticate': 'Bearer realm="t2l"',
    });
  }
  if (!timingSafeEqual(sha256(m[1]!), tokenHash)) {
    throw new HttpError(401, 'the bearer token is not valid', {
      'WWW-Authenticate': 'Bearer realm="t2l", error="invalid_token"',
    });
  }
}

/** CORS: only listed origins; returns true when the request was a preflight, now answered. */
export function applyCors(
  req: IncomingMessage,
  res: ServerResponse,
  origins: ReadonlySet<string>,
): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) {
    if (req.method === 'OPTIONS') {
      send(res, 204, undefined, { Allow: 'GET, POST, OPTIONS' });
      return true;
    }
    return false;
  }
  if (!origins.has('*') && !origins.has(origin)) {
    req.resume();
    throw new HttpError(
      403,
      `origin ${origin} is not allowed to call this server; start it with --cors-origin ${origin}`,
    );
  }
  res.setHeader('Access-Control-Allow-Origin', origin);
  res.setHeader('Vary', 'Origin');
  res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS);
  if (req.method === 'OPTIONS') {
    const headers: Record<string, string> = {
      'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
      'Access-Control-Allow-Headers': ALLOWED_HEADERS,
      'Access-Control-Max-Age': '600',
    };
    // Chrome's Private Network Access: a public page may call this loopback server only if allowed.
    if (req.headers['access-control-request-private-network'] === 'true') {
      headers['Access-Control-Allow-Private-Network'] = 'true';
    }
    send(res, 204, undefined, headers);
    return true;
  }
  return false;
}

/** On a loopback listener, refuses (403) a Host header that is not a loopback name. */
export function checkHost(req: IncomingMessage, listenHost: string): void {
  if (!LOOPBACK_HOSTS.has(listenHost)) return;
  // DNS rebinding: a page on evil.example resolving to 127.0.0.1 still sends its own Host.
  const h = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
  if (!LOOPBACK_HOSTS.has(h)) {
    req.resume();
    throw new HttpError(
      403,
      `Host ${req.headers.host ?? '(none)'} is not a loopback name; this server listens on ${listenHost} only`,
    );
  }
}
