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
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { adapterDownload } from '../core/adapter/download';
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
import type { FloatTensor } from '../core/runtime/types';
import { parseAdapterRequest } from './adapter-request';
import { applyCors, checkHost, checkToken } from './guards';
import { badRequest, HttpError, toHttpError } from './http-error';
import {
  ClientClosedError,
  clientGone,
  readBody,
  send as write,
  sendJson as writeJson,
} from './http-io';
import { encodeInferResponse, parseInferRequest, type InferPlan } from './infer';
import { loadAll, ms, type EncoderState } from './loading';
import { discoverModels, modelTensors, type ServedModel } from './models';
import { resolveOptions, type ServeOptions } from './options';
import { AbortedError, WorkQueue } from './queue';
import { tritonModelConfig } from './triton-config';

export type { ServeOptions } from './options';

export const SERVER_NAME = 't2l-web';
export const SERVER_VERSION = '0.1.0';
export const MODEL_VERSION = '1';

export interface T2LServer {
  /** http://host:port, e.g. http://127.0.0.1:8000 */
  readonly url: string;
  readonly port: number;
  readonly models: ReadonlyMap<string, ServedModel>;
  /** Settles once every model (and the encoder) has loaded or failed to. */
  readonly loaded: Promise<void>;
  /** Jobs running and waiting in the bounded queue now (for tests and monitoring). */
  queueLoad(): { running: number; waiting: number };
  /** Stops accepting requests, finishes in-flight ones, closes connections and sessions. */
  close(): Promise<void>;
}

interface RequestContext {
  model?: string;
  error?: string;
}

const MODEL_ROUTE = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?(\/ready|\/infer|\/config)?$/;

export async function startServer(options: ServeOptions): Promise<T2LServer> {
  const opts = resolveOptions(options);
  const { log, host, port, limits, maxBody, timeoutMs } = opts;
  const queue = new WorkQueue(opts.concurrency, opts.queue);

  const models = new Map<string, ServedModel>();
  for (const f of discoverModels(options.modelsDir, (msg) => log({ level: 'warn', msg }))) {
    models.set(f.name, { ...f, state: 'LOADING', acceptsDescription: false });
  }

  const encoderState: EncoderState = { failed: false };
  let closing = false;
  let inflight = 0;
  let onDrained: (() => void) | undefined;

  const serverReady = () =>
    !closing && !encoderState.failed && [...models.values()].every((m) => m.state === 'READY');

  // ---- helpers ---------------------------------------------------------------------------------

  // While closing, every answer also closes its connection, so keep-alive clients let go.
  const closeHeader = (): Record<string, string> => (closing ? { Connection: 'close' } : {});
  const send = (
    res: ServerResponse,
    status: number,
    body: Uint8Array | string | undefined,
    headers: Record<string, string | number> = {},
  ) => write(res, status, body, { ...closeHeader(), ...headers });
  const sendJson = (res: ServerResponse, status: number, value: unknown, headers = {}) =>
    writeJson(res, status, value, { ...closeHeader(), ...headers });

  function sendError(res: ServerResponse, ctx: RequestContext, e: unknown): void {
    if (e instanceof ClientClosedError) {
      // Nobody is left to answer: a client event, not a server error (no stack in the log).
      log({ level: 'info', msg: 'client closed the connection mid-body' });
      ctx.error = e.message;
      res.destroy();
      return;
    }
    const known = toHttpError(e);
    if (!known) {
      log({
        level: 'error',
        msg: 'unexpected error',
        error: e instanceof Error ? e.stack : String(e),
      });
    }
    const { status, message, headers } = known ?? new HttpError(500, 'internal server error');
    ctx.error = message;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendJson(res, status, { error: message }, headers);
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

  async function embed(texts: string[]): Promise<FloatTensor> {
    const { dims, data } = await encoderState.encoder!.embed(texts);
    return { dims, data };
  }

  const planEmbedding = (plan: InferPlan) =>
    plan.input.kind === 'task_emb' ? plan.input.emb : embed(plan.input.texts);

  async function runInference(
    m: ServedModel,
    plan: InferPlan,
  ): Promise<Record<string, FloatTensor>> {
    await options.beforeInference?.(m.name);
    const emb = await planEmbedding(plan);
    const out: Record<string, FloatTensor> = {};
    if (plan.outputs.some((o) => o.name !== TASK_EMB)) {
      Object.assign(out, await m.batcher!.run(emb));
    }
    out[TASK_EMB] = emb;
    return out;
  }

  // ---- routes ----------------------------------------------------------------------------------

  async function infer(req: IncomingMessage, res: ServerResponse, m: ServedModel): Promise<void> {
    const body = await readBody(req, maxBody);
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
    const r = parseAdapterRequest(await readBody(req, maxBody), [...models.keys()]);
    ctx.model = r.model;
    const m = servedModel(r.model, undefined);
    const plan = parseInferRequest(r.oipRequest, undefined, modelIO(m), limits);
    const download = await queue.run(
      async () => {
        await options.beforeInference?.(m.name);
        const t0 = performance.now();
        const emb = await planEmbedding(plan);
        const t1 = performance.now();
        const [adapter] = await generateAdapters(m.model!.manifest, m.batcher!.asRunner(), emb);
        return adapterDownload(m.model!.manifest, adapter!, {
          format: r.format,
          dtype: r.dtype,
          description: r.description,
          backend: m.runner!.backend,
          timings: {
            ...(plan.input.kind === 'description' ? { encode: ms(t0, t1) } : {}),
            generate: ms(t1),
          },
          ...(r.gguf ? { gguf: r.gguf } : {}),
        });
      },
      { timeoutMs, signal: clientGone(res) },
    );
    send(res, 200, download.bytes, {
      'Content-Type': download.mime,
      'Content-Disposition': `attachment; filename="${download.fileName}"`,
    });
  }
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
      checkHost(req, host);
      if (applyCors(req, res, opts.origins)) return;
      if (!path.startsWith('/v2/health/')) checkToken(req, opts.tokenHash);
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

  const requestTimeout = Math.max(timeoutMs, 1000);
  const server = createServer(
    {
      // Whole request (headers + body) must arrive within the deadline; Node answers 408. Node
      // looks for late requests only every connectionsCheckingInterval (30 s by default), so a
      // body that stalls was answered up to 30 s late: check every 1/20 of the deadline (at
      // most 1 s), so the 408 comes at most 5% after it.
      requestTimeout,
      headersTimeout: Math.min(requestTimeout, 60_000),
      connectionsCheckingInterval: Math.min(1000, Math.max(25, Math.floor(requestTimeout / 20))),
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
  const loaded = loadAll(models, options.encoder, encoderState, {
    backend: opts.backend,
    maxBatch: limits.maxBatch,
    log,
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${urlHost}:${address.port}`;
  log({
    level: 'info',
    msg: 'listening',
    url,
    models: [...models.keys()],
    auth: opts.tokenHash ? 'bearer' : 'none',
    corsOrigins: [...opts.origins],
    // bin/t2l.mjs sets these for `t2l serve` so that batches reuse freed memory (docs/benchmarks.md).
    allocator: {
      MALLOC_MMAP_MAX_: process.env['MALLOC_MMAP_MAX_'] ?? null,
      MALLOC_TRIM_THRESHOLD_: process.env['MALLOC_TRIM_THRESHOLD_'] ?? null,
    },
  });
  if (!opts.loopbackOnly && !opts.tokenHash) {
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
    await encoderState.encoder?.dispose();
    log({ level: 'info', msg: 'stopped' });
  }

  return {
    url,
    port: address.port,
    models,
    loaded,
    queueLoad: () => queue.load,
    close: () => (closed ??= close()),
  };
}
