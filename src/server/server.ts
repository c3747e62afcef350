/**
 * `t2l serve`: the Open Inference Protocol v2 REST API (KServe v2 / Triton, with the binary tensor
 * data extension) over a folder of T2L packages and checkpoints, on Node's own http module (a
 * framework would add little: nine routes, and raw bodies for the binary extension).
 *
 * Safe by default: loopback only; optional bearer token; browsers only from listed origins; limits
 * on body size, batch and description length; strict validation (400 + {"error"}); a bounded queue
 * (503 + Retry-After when full); a deadline per request; graceful close that finishes in-flight
 * work; one JSON log line per request on stderr.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve as resolvePath } from 'node:path';
import type { AdapterDType } from '../core/adapter/adapter-files';
import { adapterDownload, type DownloadFormat } from '../core/adapter/download';
import type { GgufTargetOptions } from '../core/adapter/gguf';
import type { DescriptionEncoder } from '../core/encoder/text-encoder';
import { T2LError } from '../core/errors';
import { generateAdapters } from '../core/generate';
import {
  BINARY_EXTENSION,
  INFERENCE_HEADER,
  parseHeaderLength,
  TASK_EMB,
  type OipModelMetadata,
  type OipServerMetadata,
} from '../core/remote/oip';
import type { Backend, FloatTensor } from '../core/runtime/types';
import { badRequest, HttpError } from './http-error';
import { encodeInferResponse, parseInferRequest, type InferLimits, type InferPlan } from './infer';
import { discoverModels, loadServedModel, modelTensors, type ServedModel } from './models';
import { AbortedError, DeadlineError, QueueFullError, WorkQueue } from './queue';
import { tritonModelConfig } from './triton-config';

export const SERVER_NAME = 't2l-web';
export const SERVER_VERSION = '0.1.0';
export const MODEL_VERSION = '1';

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

export interface T2LServer {
  /** http://host:port, e.g. http://127.0.0.1:8000 */
  readonly url: string;
  readonly port: number;
  readonly models: ReadonlyMap<string, ServedModel>;
  /** Settles once every model (and the encoder) has loaded or failed to. */
  readonly loaded: Promise<void>;
  /** Stops accepting requests, finishes in-flight ones, closes connections and sessions. */
  close(): Promise<void>;
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

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);
const EXPOSED_HEADERS = `${INFERENCE_HEADER}, Content-Disposition, Retry-After`;
const ALLOWED_HEADERS = `Authorization, Content-Type, ${INFERENCE_HEADER}`;
const ADAPTER_FORMATS: Record<string, DownloadFormat> = {
  zip: 'peft-zip',
  'peft-zip': 'peft-zip',
  safetensors: 'safetensors',
  gguf: 'gguf',
};
const ADAPTER_DTYPES: AdapterDType[] = ['float32', 'float16', 'bfloat16'];

function defaultLog(entry: Record<string, unknown>): void {
  process.stderr.write(JSON.stringify({ time: new Date().toISOString(), ...entry }) + '\n');
}

function positiveInt(name: string, v: number, min = 1): number {
  if (!Number.isSafeInteger(v) || v < min) {
    throw new T2LError('bad-input', `${name} must be an integer ≥ ${min}, found ${v}`);
  }
  return v;
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

interface RequestContext {
  model?: string;
  error?: string;
}

export async function startServer(options: ServeOptions): Promise<T2LServer> {
  const log = options.log ?? defaultLog;
  const host = options.host ?? DEFAULTS.host;
  const port = options.port ?? DEFAULTS.port;
  const limits: InferLimits = {
    maxBatch: positiveInt('--max-batch', options.maxBatch ?? DEFAULTS.maxBatch),
    maxDescriptionChars: positiveInt(
      '--max-description-chars',
      options.maxDescriptionChars ?? DEFAULTS.maxDescriptionChars,
    ),
  };
  const maxBody = positiveInt('--max-body', options.maxBody ?? DEFAULTS.maxBody);
  const timeoutMs = positiveInt('--timeout-ms', options.timeoutMs ?? DEFAULTS.timeoutMs);
  const backend: Backend = options.backend ?? DEFAULTS.backend;
  const queue = new WorkQueue(
    positiveInt('--concurrency', options.concurrency ?? DEFAULTS.concurrency),
    positiveInt('--queue', options.queue ?? DEFAULTS.queue, 0),
  );
  const origins = new Set((options.corsOrigins ?? []).map((o) => o.replace(/\/+$/, '')));
  const tokenHash = options.token ? sha256(options.token) : undefined;
  if (options.token !== undefined && options.token.length === 0) {
    throw new T2LError('bad-input', '--token must not be empty');
  }
  const loopbackOnly = LOOPBACK_HOSTS.has(host);

  const models = new Map<string, ServedModel>();
  for (const f of discoverModels(options.modelsDir, (msg) => log({ level: 'warn', msg }))) {
    models.set(f.name, { ...f, state: 'LOADING', acceptsDescription: false });
  }

  let encoder: DescriptionEncoder | undefined;
  let encoderFailed = false;
  let closing = false;
  let inflight = 0;
  let onDrained: (() => void) | undefined;

  const serverReady = () =>
    !closing && !encoderFailed && [...models.values()].every((m) => m.state === 'READY');

  // Models load after the server listens, so liveness answers at once; readiness waits for them.
  const loadAll = async () => {
    if (options.encoder !== undefined) {
      const t0 = performance.now();
      try {
        const { createTextEncoder } = await import('../core/encoder/text-encoder');
        const local = existsSync(options.encoder);
        encoder = await createTextEncoder(
          local ? { localPath: resolvePath(options.encoder) } : { model: options.encoder },
        );
        log({
          level: 'info',
          msg: 'encoder ready',
          encoder: options.encoder,
          dim: encoder.dim,
          ms: ms(t0),
        });
      } catch (e) {
        encoderFailed = true;
        log({
          level: 'error',
          msg: 'encoder failed to load',
          encoder: options.encoder,
          error: String(e),
        });
      }
    }
    for (const m of models.values()) {
      const t0 = performance.now();
      await loadServedModel(m, {
        backend,
        encoderDim: encoder?.dim,
        maxBatchRows: limits.maxBatch,
      });
      if (m.state === 'READY') {
        log({
          level: 'info',
          msg: 'model ready',
          model: m.name,
          dir: m.dir,
          backend: m.runner!.backend,
          description: m.acceptsDescription,
          ms: ms(t0),
        });
        if (m.runner!.backend !== backend) {
          log({
            level: 'warn',
            msg: `model ${m.name}: ${backend} is not available, running on ${m.runner!.backend}`,
          });
        }
      } else {
        log({
          level: 'error',
          msg: 'model failed to load',
          model: m.name,
          dir: m.dir,
          error: m.reason,
        });
      }
    }
  };

  // ---- helpers ---------------------------------------------------------------------------------

  function send(
    res: ServerResponse,
    status: number,
    body: Uint8Array | string | undefined,
    headers: Record<string, string | number> = {},
  ): void {
    if (closing) res.setHeader('Connection', 'close');
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    if (body !== undefined) res.setHeader('Content-Length', Buffer.byteLength(body));
    res.writeHead(status);
    res.end(body);
  }

  function sendJson(res: ServerResponse, status: number, value: unknown, headers = {}): void {
    send(res, status, JSON.stringify(value), { 'Content-Type': 'application/json', ...headers });
  }

  function sendError(res: ServerResponse, ctx: RequestContext, e: unknown): void {
    let status = 500;
    let message = 'internal server error';
    let headers: Record<string, string> = {};
    if (e instanceof HttpError) {
      ({ status, message, headers } = e);
    } else if (e instanceof QueueFullError) {
      status = 503;
      message = e.message;
      headers = { 'Retry-After': String(e.retryAfterS) };
    } else if (e instanceof DeadlineError) {
      status = e.phase === 'waiting' ? 503 : 504;
      message = e.message;
      if (e.phase === 'waiting') headers = { 'Retry-After': String(e.retryAfterS) };
    } else if (
      e instanceof T2LError &&
      ['bad-input', 'bad-shape', 'unsupported'].includes(e.code)
    ) {
      status = 400;
      message = e.message;
    } else {
      log({
        level: 'error',
        msg: 'unexpected error',
        error: e instanceof Error ? e.stack : String(e),
      });
    }
    ctx.error = message;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendJson(res, status, { error: message }, headers);
  }

  function readBody(req: IncomingMessage): Promise<Uint8Array> {
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
      const onEnd = () => {
        const b = Buffer.concat(chunks);
        resolve(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
      };
      req.on('data', onData);
      req.on('end', onEnd);
      req.on('error', reject);
    });
  }

  function servedModel(name: string, version: string | undefined, needReady = true): ServedModel {
    const m = models.get(name);
    if (!m) {
      throw new HttpError(
        404,
        `unknown model "${name}"; this server has ${[...models.keys()].join(', ')}`,
      );
    }
    if (version !== undefined && version !== MODEL_VERSION) {
      throw new HttpError(404, `model ${name} has only version ${MODEL_VERSION}, not "${version}"`);
    }
    if (needReady && m.state === 'LOADING') {
      throw new HttpError(503, `model ${name} is still loading`, { 'Retry-After': '1' });
    }
    if (needReady && m.state === 'UNAVAILABLE') {
      throw new HttpError(503, `model ${name} failed to load: ${m.reason}`);
    }
    return m;
  }

  function modelIO(m: ServedModel) {
    return { name: m.name, taskEmbSize: m.model!.manifest.taskEmbSize, ...modelTensors(m) };
  }

  function clientGone(res: ServerResponse): AbortSignal {
    const ac = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) ac.abort();
    });
    return ac.signal;
  }

  async function embed(texts: string[]): Promise<FloatTensor> {
    const { dims, data } = await encoder!.embed(texts);
    return { dims, data };
  }

  async function runInference(
    m: ServedModel,
    plan: InferPlan,
  ): Promise<Record<string, FloatTensor>> {
    await options.beforeInference?.(m.name);
    const emb = plan.input.kind === 'task_emb' ? plan.input.emb : await embed(plan.input.texts);
    const out: Record<string, FloatTensor> = {};
    if (plan.outputs.some((o) => o.name !== TASK_EMB)) {
      Object.assign(out, await m.batcher!.run(emb));
    }
    out[TASK_EMB] = emb;
    return out;
  }

  // ---- routes ----------------------------------------------------------------------------------

  async function infer(req: IncomingMessage, res: ServerResponse, m: ServedModel): Promise<void> {
    const body = await readBody(req);
    let headerLength: number | undefined;
    try {
      headerLength = parseHeaderLength(
        req.headers[INFERENCE_HEADER.toLowerCase()] as string | undefined,
        body.length,
      );
    } catch (e) {
      throw badRequest((e as Error).message);
    }
    const plan = parseInferRequest(body, headerLength, modelIO(m), limits);
    const values = await queue.run(() => runInference(m, plan), {
      timeoutMs,
      signal: clientGone(res),
    });
    const out = encodeInferResponse(m.name, plan, values);
    send(
      res,
      200,
      out.body,
      out.headerLength === undefined
        ? { 'Content-Type': 'application/json' }
        : { 'Content-Type': 'application/octet-stream', [INFERENCE_HEADER]: out.headerLength },
    );
  }

  async function adapters(req: IncomingMessage, res: ServerResponse, ctx: RequestContext) {
    const body = await readBody(req);
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(body));
    } catch (e) {
      throw badRequest(
        `the body must be JSON {"model", "description", "format"}: ${(e as Error).message}`,
      );
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw badRequest('the body must be a JSON object {"model", "description", "format"}');
    }
    const b = json as Record<string, unknown>;
    if (typeof b['model'] !== 'string') {
      throw badRequest(`"model" must be a string: one of ${[...models.keys()].join(', ')}`);
    }
    ctx.model = b['model'];
    const m = servedModel(b['model'], undefined);
    const format = b['format'] ?? 'zip';
    if (typeof format !== 'string' || !(format in ADAPTER_FORMATS)) {
      throw badRequest(
        `"format" must be one of ${Object.keys(ADAPTER_FORMATS).join(', ')}, found ${JSON.stringify(format)}`,
      );
    }
    const dtype = b['dtype'] ?? 'float32';
    if (!ADAPTER_DTYPES.includes(dtype as AdapterDType)) {
      throw badRequest(
        `"dtype" must be one of ${ADAPTER_DTYPES.join(', ')}, found ${JSON.stringify(dtype)}`,
      );
    }
    const gguf = checkGgufOptions(b['gguf']);
    const { description, task_emb: taskEmb } = b;
    if ((description === undefined) === (taskEmb === undefined)) {
      throw badRequest(
        'give "description" (a string) or "task_emb" (an array of numbers), not both',
      );
    }
    // Checked as the OIP input it stands for, so the limits and messages are the same.
    const request =
      description !== undefined
        ? { inputs: [{ name: 'description', datatype: 'BYTES', shape: [1], data: [description] }] }
        : {
            inputs: [
              {
                name: TASK_EMB,
                datatype: 'FP32',
                shape: [1, Array.isArray(taskEmb) ? taskEmb.length : 0],
                data: taskEmb,
              },
            ],
          };
    const plan = parseInferRequest(
      new TextEncoder().encode(JSON.stringify(request)),
      undefined,
      modelIO(m),
      limits,
    );
    const download = await queue.run(
      async () => {
        await options.beforeInference?.(m.name);
        const t0 = performance.now();
        const emb = plan.input.kind === 'task_emb' ? plan.input.emb : await embed(plan.input.texts);
        const t1 = performance.now();
        const [adapter] = await generateAdapters(m.model!.manifest, m.batcher!.asRunner(), emb);
        return adapterDownload(m.model!.manifest, adapter!, {
          format: ADAPTER_FORMATS[format]!,
          dtype: dtype as AdapterDType,
          description: typeof description === 'string' ? description : undefined,
          backend: m.runner!.backend,
          timings: {
            ...(plan.input.kind === 'description' ? { encode: ms(t0, t1) } : {}),
            generate: ms(t1),
          },
          ...(gguf ? { gguf } : {}),
        });
      },
      { timeoutMs, signal: clientGone(res) },
    );
    send(res, 200, download.bytes, {
      'Content-Type': download.mime,
      'Content-Disposition': `attachment; filename="${download.fileName}"`,
    });
  }

  const MODEL_ROUTE = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?(\/ready|\/infer|\/config)?$/;

  async function route(
    req: IncomingMessage,
    res: ServerResponse,
    ctx: RequestContext,
    path: string,
  ) {
    const method = req.method ?? 'GET';
    const allow = (methods: string) => {
      if (!methods.split(', ').includes(method)) {
        req.resume();
        throw new HttpError(405, `${method} is not allowed on ${path}`, { Allow: methods });
      }
    };
    if (path === '/v2/health/live') {
      allow('GET');
      return send(res, 200, '');
    }
    if (path === '/v2/health/ready') {
      allow('GET');
      return send(res, serverReady() ? 200 : 400, '');
    }
    if (closing) throw new HttpError(503, 'the server is shutting down');
    if (path === '/v2') {
      allow('GET');
      const meta: OipServerMetadata = {
        name: SERVER_NAME,
        version: SERVER_VERSION,
        extensions: [BINARY_EXTENSION, 'model_configuration', 'model_repository'],
      };
      return sendJson(res, 200, meta);
    }
    if (path === '/v2/repository/index') {
      allow('POST');
      req.resume();
      return sendJson(
        res,
        200,
        [...models.values()].map((m) => ({
          name: m.name,
          version: MODEL_VERSION,
          state: m.state,
          ...(m.reason ? { reason: m.reason } : {}),
        })),
      );
    }
    if (path === '/v1/adapters') {
      allow('POST');
      return adapters(req, res, ctx);
    }
    const match = MODEL_ROUTE.exec(path);
    if (match) {
      let name: string;
      let version: string | undefined;
      try {
        name = decodeURIComponent(match[1]!);
        version = match[2] === undefined ? undefined : decodeURIComponent(match[2]);
      } catch {
        throw badRequest(`${path}: bad percent-encoding in the model name`);
      }
      ctx.model = name;
      const what = match[3];
      if (what === '/ready') {
        allow('GET');
        return send(res, servedModel(name, version, false).state === 'READY' ? 200 : 400, '');
      }
      if (what === '/infer') {
        allow('POST');
        return infer(req, res, servedModel(name, version));
      }
      allow('GET');
      const m = servedModel(name, version);
      if (what === '/config') {
        return sendJson(
          res,
          200,
          tritonModelConfig(m.model!.manifest, {
            name: m.name,
            maxBatchSize: limits.maxBatch,
            instanceKind: m.runner!.backend === 'cuda' ? 'KIND_GPU' : 'KIND_CPU',
          }),
        );
      }
      const meta: OipModelMetadata = {
        name: m.name,
        versions: [MODEL_VERSION],
        platform: 'onnxruntime_onnx',
        ...modelTensors(m),
      };
      return sendJson(res, 200, meta);
    }
    req.resume();
    throw new HttpError(404, `no such endpoint: ${method} ${path}`);
  }

  function authorized(req: IncomingMessage): void {
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
  function cors(req: IncomingMessage, res: ServerResponse): boolean {
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

  function checkHost(req: IncomingMessage): void {
    if (!loopbackOnly) return;
    // DNS rebinding: a page on evil.example resolving to 127.0.0.1 still sends its own Host.
    const h = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    if (!LOOPBACK_HOSTS.has(h)) {
      req.resume();
      throw new HttpError(
        403,
        `Host ${req.headers.host ?? '(none)'} is not a loopback name; this server listens on ${host} only`,
      );
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const t0 = performance.now();
    const ctx: RequestContext = {};
    let path = '/';
    try {
      path = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/(.)\/+$/, '$1');
    } catch {
      /* answered 404 below */
    }
    inflight++;
    res.on('close', () => {
      log({
        level: 'info',
        msg: 'request',
        method: req.method,
        path,
        status: res.writableFinished ? res.statusCode : 499,
        ms: ms(t0),
        ...(ctx.model !== undefined ? { model: ctx.model } : {}),
        ...(ctx.error !== undefined ? { error: ctx.error } : {}),
      });
      if (--inflight === 0) onDrained?.();
    });
    try {
      checkHost(req);
      if (cors(req, res)) return;
      if (!path.startsWith('/v2/health/')) authorized(req);
      await route(req, res, ctx, path);
    } catch (e) {
      if (e instanceof AbortedError) {
        res.destroy();
        return;
      }
      if (!(e instanceof HttpError) || e.status !== 413) req.resume();
      sendError(res, ctx, e);
    }
  }

  // ---- listen ----------------------------------------------------------------------------------

  const server = createServer(
    {
      // Whole request (headers + body) must arrive within the deadline; Node answers 408.
      requestTimeout: Math.max(timeoutMs, 1000),
      headersTimeout: Math.min(Math.max(timeoutMs, 1000), 60_000),
    },
    (req, res) => void handle(req, res),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      const why =
        e.code === 'EADDRINUSE'
          ? 'is in use; choose another with --port (0: any free port)'
          : e.code === 'EACCES'
            ? 'needs privileges; choose a port above 1023'
            : `cannot be listened on (${e.message})`;
      reject(new T2LError('bad-input', `${host}:${port} ${why}`, { cause: e }));
    });
    server.listen(port, host, () => {
      server.removeAllListeners('error');
      server.on('error', (e) => log({ level: 'error', msg: 'server error', error: String(e) }));
      resolve();
    });
  });
  const loaded = loadAll();
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${urlHost}:${address.port}`;
  log({
    level: 'info',
    msg: 'listening',
    url,
    models: [...models.keys()],
    auth: tokenHash ? 'bearer' : 'none',
    corsOrigins: [...origins],
  });
  if (!loopbackOnly && !tokenHash) {
    log({
      level: 'warn',
      msg: `listening on ${host} without --token: anyone who can reach it can use it`,
    });
  }

  let closed: Promise<void> | undefined;
  async function close(): Promise<void> {
    closing = true;
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    // In-flight requests finish (queued ones included); keep-alive sockets close after them.
    const grace = timeoutMs + 5000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([
        queue.whenIdle(),
        inflight === 0 ? Promise.resolve() : new Promise<void>((r) => (onDrained = r)),
      ]),
      new Promise<void>((r) => (timer = setTimeout(r, grace))),
    ]);
    clearTimeout(timer);
    server.closeAllConnections();
    await stopped;
    await loaded;
    await queue.whenIdle();
    for (const m of models.values()) await m.runner?.release();
    await encoder?.dispose();
    log({ level: 'info', msg: 'stopped' });
  }

  return {
    url,
    port: address.port,
    models,
    loaded,
    close: () => (closed ??= close()),
  };
}

function ms(t0: number, t1 = performance.now()): number {
  return Math.round((t1 - t0) * 10) / 10;
}

/** /v1/adapters "gguf": {arch, nHead, nKvHead} for base models GGUF export does not know. */
function checkGgufOptions(g: unknown): GgufTargetOptions | undefined {
  if (g === undefined) return undefined;
  if (typeof g !== 'object' || g === null || Array.isArray(g)) {
    throw badRequest('"gguf" must be an object {"arch", "nHead", "nKvHead"}');
  }
  const o = g as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!['arch', 'nHead', 'nKvHead'].includes(k)) throw badRequest(`"gguf": unknown field "${k}"`);
  }
  if (o['arch'] !== undefined && o['arch'] !== 'llama' && o['arch'] !== 'gemma2') {
    throw badRequest('"gguf.arch" must be "llama" or "gemma2"');
  }
  for (const k of ['nHead', 'nKvHead']) {
    const v = o[k];
    if (v !== undefined && (!Number.isSafeInteger(v) || (v as number) <= 0)) {
      throw badRequest(`"gguf.${k}" must be a positive integer`);
    }
  }
  return o as GgufTargetOptions;
}
