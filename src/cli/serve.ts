import { existsSync } from 'node:fs';
import { T2LError } from '../core/errors';
import { resolveEncoder, resolveModelPath } from '../node/hub-resolve';
import { startServer } from '../server/server';
import { cliHubSettings } from './hub';

interface ServeCliOptions {
  host: string;
  port: string;
  token?: string;
  corsOrigin?: string[];
  encoder?: string;
  maxBatch?: string;
  maxBody?: string;
  maxDescriptionChars?: string;
  queue?: string;
  concurrency?: string;
  timeoutMs?: string;
  backend: 'cpu' | 'cuda';
}

/** A whole number from a command-line option, at least `min`. */
export function parseCount(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new T2LError('bad-input', `${flag} must be a whole number ≥ ${min}, found "${value}"`);
  }
  return n;
}

const optional = (flag: string, value: string | undefined, min: number) =>
  value === undefined ? undefined : parseCount(flag, value, min);

/** Runs until SIGINT or SIGTERM, then finishes in-flight requests and exits. */
export async function serveCommand(arg: string, opts: ServeCliOptions): Promise<void> {
  const token = opts.token ?? process.env['T2L_TOKEN'];
  // A Hub path serves that one model, from the Hugging Face cache; a Hub encoder id is fetched
  // into the cache too (from HF_ENDPOINT), before the server listens.
  const hub = cliHubSettings();
  const { path: modelsDir } = await resolveModelPath(arg, hub);
  // A local folder goes to the server as before (a bad one is logged, and readiness stays false).
  const encoder =
    opts.encoder === undefined || existsSync(opts.encoder)
      ? opts.encoder
      : (await resolveEncoder(opts.encoder, '', hub)).localPath;
  const server = await startServer({
    modelsDir,
    host: opts.host,
    port: parseCount('--port', opts.port, 0),
    token: token === '' ? undefined : token,
    corsOrigins: opts.corsOrigin ?? [],
    encoder,
    maxBatch: optional('--max-batch', opts.maxBatch, 1),
    maxBody: optional('--max-body', opts.maxBody, 1),
    maxDescriptionChars: optional('--max-description-chars', opts.maxDescriptionChars, 1),
    queue: optional('--queue', opts.queue, 0),
    concurrency: optional('--concurrency', opts.concurrency, 1),
    timeoutMs: optional('--timeout-ms', opts.timeoutMs, 1),
    backend: opts.backend,
  });
  await new Promise<void>((resolve, reject) => {
    const stop = (signal: NodeJS.Signals) => {
      process.stderr.write(
        JSON.stringify({
          time: new Date().toISOString(),
          level: 'info',
          msg: `${signal}: finishing in-flight requests (send it again to stop at once)`,
        }) + '\n',
      );
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      server.close().then(resolve, reject);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
