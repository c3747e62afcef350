/** `t2l serve`'s options, their defaults, and the checked values the server runs with. */
import { T2LError } from '../core/errors';
import type { Backend } from '../core/runtime/types';
import { LOOPBACK_HOSTS, sha256 } from './guards';
import type { InferLimits } from './infer';

export interface ServeOptions {
  /** Folder searched for packages (t2l.json) and checkpoints (hypermod.pt). */
  modelsDir: string;
  /** Default 127.0.0.1 (loopback only). */
  host?: string;
  /** Default 8000; 0 picks a free port (see T2LServer.port). */
  port?: number;
  /** When set, every request but the health checks needs `Authorization: Bearer <token>`. */
  token?: string | undefined;
  /** Browser origins allowed to call the server (exact match, e.g. http://localhost:5173); '*' for any. */
  corsOrigins?: string[];
  /** Text encoder for `description` inputs: a local transformers.js folder or a Hub model id. */
  encoder?: string | undefined;
  /** Most rows in one request, and in one merged run (default 16). */
  maxBatch?: number;
  /** Most request body bytes (default 4 MiB). */
  maxBody?: number;
  /** Most characters in one description (default 2000). */
  maxDescriptionChars?: number;
  /** Requests that may wait for a free slot; more are answered 503 (default 32). */
  queue?: number;
  /**
   * Requests worked on at once (default 8). Their task embeddings are merged into one
   * onnxruntime run per model (dynamic batching, up to maxBatch rows); more requests wait.
   */
  concurrency?: number;
  /** Deadline of a request from when it is queued (default 30000). */
  timeoutMs?: number;
  /** onnxruntime-node execution provider; 'cuda' falls back to 'cpu' where it is not installed. */
  backend?: 'cpu' | 'cuda';
  /** Receives one object per log line; default: a JSON line on stderr. */
  log?: (entry: Record<string, unknown>) => void;
  /** Test hook: awaited inside the queue slot before each inference runs. */
  beforeInference?: (model: string) => Promise<void>;
}

const DEFAULTS = {
  host: '127.0.0.1',
  port: 8000,
  maxBatch: 16,
  maxBody: 4 * 1024 * 1024,
  maxDescriptionChars: 2000,
  queue: 32,
  concurrency: 8,
  timeoutMs: 30_000,
  backend: 'cpu' as const,
};

export interface ResolvedOptions {
  host: string;
  port: number;
  limits: InferLimits;
  maxBody: number;
  timeoutMs: number;
  backend: Backend;
  concurrency: number;
  queue: number;
  origins: Set<string>;
  tokenHash: Buffer | undefined;
  loopbackOnly: boolean;
  log: (entry: Record<string, unknown>) => void;
}

function defaultLog(entry: Record<string, unknown>): void {
  process.stderr.write(JSON.stringify({ time: new Date().toISOString(), ...entry }) + '\n');
}

function positiveInt(name: string, v: number, min = 1): number {
  if (!Number.isSafeInteger(v) || v < min) {
    throw new T2LError('bad-input', `${name} must be an integer ≥ ${min}, found ${v}`);
  }
  return v;
}

export function resolveOptions(options: ServeOptions): ResolvedOptions {
  if (options.token !== undefined && options.token.length === 0) {
    throw new T2LError('bad-input', '--token must not be empty');
  }
  const host = options.host ?? DEFAULTS.host;
  return {
    host,
    port: options.port ?? DEFAULTS.port,
    limits: {
      maxBatch: positiveInt('--max-batch', options.maxBatch ?? DEFAULTS.maxBatch),
      maxDescriptionChars: positiveInt(
        '--max-description-chars',
        options.maxDescriptionChars ?? DEFAULTS.maxDescriptionChars,
      ),
    },
    maxBody: positiveInt('--max-body', options.maxBody ?? DEFAULTS.maxBody),
    timeoutMs: positiveInt('--timeout-ms', options.timeoutMs ?? DEFAULTS.timeoutMs),
    backend: options.backend ?? DEFAULTS.backend,
    concurrency: positiveInt('--concurrency', options.concurrency ?? DEFAULTS.concurrency),
    queue: positiveInt('--queue', options.queue ?? DEFAULTS.queue, 0),
    origins: new Set((options.corsOrigins ?? []).map((o) => o.replace(/\/+$/, ''))),
    tokenHash: options.token ? sha256(options.token) : undefined,
    loopbackOnly: LOOPBACK_HOSTS.has(host),
    log: options.log ?? defaultLog,
  };
}
