import { T2LError } from '../core/errors';
import { DeadlineError, QueueFullError } from './queue';

/** An error with the HTTP status (and headers) the server answers it with; the body is {"error"}. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const badRequest = (message: string) => new HttpError(400, message);

/**
 * The answer for an error thrown while handling a request, or undefined for one the client did
 * not cause (answered 500 and logged with its stack, since its message may say too much).
 */
export function toHttpError(e: unknown): HttpError | undefined {
  if (e instanceof HttpError) return e;
  if (e instanceof QueueFullError) {
    return new HttpError(503, e.message, { 'Retry-After': String(e.retryAfterS) });
  }
  if (e instanceof DeadlineError) {
    // Still waiting for a slot: busy, come back later. Already running: it took too long.
    return e.phase === 'waiting'
      ? new HttpError(503, e.message, { 'Retry-After': String(e.retryAfterS) })
      : new HttpError(504, e.message);
  }
  if (e instanceof T2LError && ['bad-input', 'bad-shape', 'unsupported'].includes(e.code)) {
    return badRequest(e.message);
  }
  return undefined;
}
