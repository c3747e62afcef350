/** Writing answers and reading bodies on Node's http module, with the server's body limit. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from './http-error';

export function send(
  res: ServerResponse,
  status: number,
  body: Uint8Array | string | undefined,
  headers: Record<string, string | number> = {},
): void {
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  if (body !== undefined) res.setHeader('Content-Length', Buffer.byteLength(body));
  res.writeHead(status);
  res.end(body);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string | number> = {},
): void {
  send(res, status, JSON.stringify(value), { 'Content-Type': 'application/json', ...headers });
}

/**
 * The client hung up before its request body was complete (ECONNRESET, "aborted"): a client
 * event, logged as such without a stack, not a server error.
 */
export class ClientClosedError extends Error {
  constructor(cause?: unknown) {
    super('the client closed the connection before the request body was complete', { cause });
    this.name = 'ClientClosedError';
  }
}

/** The whole body, refused (413) past maxBody bytes without reading it all into memory first. */
export function readBody(req: IncomingMessage, maxBody: number): Promise<Uint8Array> {
  const tooBig = (n: string) =>
    new HttpError(
      413,
      `the request body is ${n} bytes; this server takes at most ${maxBody} (--max-body)`,
      { Connection: 'close' },
    );
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding !== 'identity') {
    req.resume();
    return Promise.reject(new HttpError(415, `Content-Encoding ${encoding} is not supported`));
  }
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > maxBody) {
    req.resume(); // read and drop the rest, so the client sees the answer
    return Promise.reject(tooBig(String(declared)));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (c: Buffer) => {
      total += c.length;
      if (total > maxBody) {
        req.off('data', onData);
        req.off('end', onEnd);
        req.resume();
        reject(tooBig(`more than ${maxBody}`));
        return;
      }
      chunks.push(c);
    };
    let ended = false;
    const onEnd = () => {
      ended = true;
      const b = Buffer.concat(chunks);
      resolve(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', (e) => reject(new ClientClosedError(e)));
    // A socket torn down mid-body may close without an error: settle rather than wait forever.
    req.on('close', () => {
      if (!ended) reject(new ClientClosedError());
    });
  });
}

/** Aborts when the client hangs up before its answer was written. */
export function clientGone(res: ServerResponse): AbortSignal {
  const ac = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) ac.abort();
  });
  return ac.signal;
}
