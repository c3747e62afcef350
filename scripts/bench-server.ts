/**
 * Soak test of `t2l serve`: N clients send inference requests (binary tensors, through the OIP
 * client the app uses) for a fixed time; reports throughput and p50/p90/p99 latency.
 *
 *   npm run bench:server -- [--duration 30] [--concurrency 16] [--batch 1]
 *                           [--models models/demo/packages] [--model L] [--queue 32]
 *                           [--server-concurrency 8] [--backend cpu|cuda]
 *                           [--url http://host:8000 --token T]   (an already running server)
 *
 * Prints one JSON line (SoakResult) on stdout and a summary on stderr. `soakServer()` is the same
 * as a function, for the benchmark suite (npm run bench).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRemoteRunner, RemoteError } from '../src/core/remote/oip-client';
import { startServer, type ServeOptions, type T2LServer } from '../src/server/server';

export interface SoakOptions {
  /** A running server; when absent one is started in this process over `modelsDir`. */
  url?: string;
  token?: string;
  /** Default models/demo/packages (written by `npm run fixtures`). */
  modelsDir?: string;
  /** Default: the first model the server lists. */
  model?: string;
  durationS?: number;
  /** Clients sending at once (default 16). */
  concurrency?: number;
  /** Task embeddings per request (default 1). */
  batch?: number;
  /** Options of the in-process server (queue, concurrency, backend, ...). */
  serve?: Partial<ServeOptions>;
}

export interface SoakResult {
  model: string;
  url: string;
  durationS: number;
  concurrency: number;
  batch: number;
  requests: number;
  ok: number;
  /** 503 answers (queue full or waited too long). */
  busy: number;
  errors: number;
  firstError?: string;
  /** Successful requests per second, and adapters per second (× batch). */
  throughput: number;
  adaptersPerS: number;
  latencyMs: { mean: number; p50: number; p90: number; p99: number; max: number };
}

const DEFAULT_MODELS = join(import.meta.dirname, '..', 'models', 'demo', 'packages');

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const round = (x: number) => Math.round(x * 100) / 100;

/** Seeded task embeddings [n, E], each row normalized to length sqrt(E) like real ones. */
function embeddings(n: number, e: number, seed: number): Float32Array {
  const out = new Float32Array(n * e);
  let s = seed >>> 0 || 1;
  for (let r = 0; r < n; r++) {
    let norm = 0;
    for (let i = 0; i < e; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      const v = s / 2 ** 32 - 0.5;
      out[r * e + i] = v;
      norm += v * v;
    }
    const scale = Math.sqrt(e) / Math.sqrt(norm);
    for (let i = 0; i < e; i++) out[r * e + i]! *= scale;
  }
  return out;
}

export async function soakServer(options: SoakOptions = {}): Promise<SoakResult> {
  const durationS = options.durationS ?? 30;
  const concurrency = options.concurrency ?? 16;
  const batch = options.batch ?? 1;
  let server: T2LServer | undefined;
  let url = options.url;
  if (!url) {
    const modelsDir = options.modelsDir ?? DEFAULT_MODELS;
    if (!existsSync(modelsDir)) {
      throw new Error(
        `${modelsDir} does not exist: run \`npm run fixtures\` first, or pass --models`,
      );
    }
    server = await startServer({
      modelsDir,
      port: 0,
      log: () => {},
      maxBatch: Math.max(batch, 16),
      ...(options.token ? { token: options.token } : {}),
      ...options.serve,
    });
    await server.loaded;
    url = server.url;
  }
  try {
    let model = options.model;
    if (!model) {
      const headers: Record<string, string> = options.token
        ? { Authorization: `Bearer ${options.token}` }
        : {};
      const index = (await (
        await fetch(`${url}/v2/repository/index`, { method: 'POST', headers })
      ).json()) as Array<{ name: string }>;
      model = index[0]!.name;
    }
    const runner = await createRemoteRunner(url, model, { token: options.token });
    const E = runner.info.taskEmbSize;
    const latencies: number[] = [];
    let busy = 0;
    let errors = 0;
    let firstError: string | undefined;
    const t0 = performance.now();
    const end = t0 + durationS * 1000;
    const client = async (c: number) => {
      const data = embeddings(batch, E, 1000 + c);
      while (performance.now() < end) {
        const start = performance.now();
        try {
          const out = await runner.run({ task_emb: { dims: [batch, E], data } });
          if (Object.keys(out).length !== runner.outputNames.length)
            throw new Error('missing outputs');
          latencies.push(performance.now() - start);
        } catch (e) {
          if (e instanceof RemoteError && e.status === 503) {
            busy++;
            await new Promise((r) => setTimeout(r, 50));
          } else {
            errors++;
            firstError ??= e instanceof Error ? e.message : String(e);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, (_, c) => client(c)));
    const elapsedS = (performance.now() - t0) / 1000;
    const sorted = [...latencies].sort((a, b) => a - b);
    const mean = sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length);
    return {
      model,
      url,
      durationS: round(elapsedS),
      concurrency,
      batch,
      requests: latencies.length + busy + errors,
      ok: latencies.length,
      busy,
      errors,
      ...(firstError !== undefined ? { firstError } : {}),
      throughput: round(latencies.length / elapsedS),
      adaptersPerS: round((latencies.length * batch) / elapsedS),
      latencyMs: {
        mean: round(mean),
        p50: round(percentile(sorted, 50)),
        p90: round(percentile(sorted, 90)),
        p99: round(percentile(sorted, 99)),
        max: round(sorted.at(-1) ?? NaN),
      },
    };
  } finally {
    await server?.close();
  }
}

function parseArgs(argv: string[]): SoakOptions {
  const opts: SoakOptions = {};
  const serve: Partial<ServeOptions> = {};
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i]!, argv[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    const num = () => {
      const n = Number(value);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} must be a positive number`);
      return n;
    };
    switch (flag) {
      case '--duration':
        opts.durationS = num();
        break;
      case '--concurrency':
        opts.concurrency = num();
        break;
      case '--batch':
        opts.batch = num();
        break;
      case '--models':
        opts.modelsDir = value;
        break;
      case '--model':
        opts.model = value;
        break;
      case '--url':
        opts.url = value;
        break;
      case '--token':
        opts.token = value;
        break;
      case '--queue':
        serve.queue = num();
        break;
      case '--server-concurrency':
        serve.concurrency = num();
        break;
      case '--backend':
        serve.backend = value as 'cpu' | 'cuda';
        break;
      default:
        throw new Error(`unknown option ${flag}`);
    }
  }
  return { ...opts, serve };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const opts = parseArgs(process.argv.slice(2));
  process.stderr.write(
    `soak: ${opts.concurrency ?? 16} clients × ${opts.durationS ?? 30} s against ${opts.url ?? 'an in-process t2l serve'}...\n`,
  );
  const r = await soakServer(opts);
  process.stdout.write(JSON.stringify(r) + '\n');
  process.stderr.write(
    `${r.model}: ${r.ok} ok, ${r.busy} busy (503), ${r.errors} errors in ${r.durationS} s → ` +
      `${r.throughput} req/s (${r.adaptersPerS} adapters/s); latency p50 ${r.latencyMs.p50} ms, ` +
      `p90 ${r.latencyMs.p90} ms, p99 ${r.latencyMs.p99} ms, max ${r.latencyMs.max} ms\n`,
  );
  if (r.errors > 0) process.exitCode = 1;
}
