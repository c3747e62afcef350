/**
 * The generation worker: downloads, conversion, the text encoder and the hypernetwork all run here,
 * off the UI thread. Calls run one at a time (they share the GPU, the encoder and transformers.js's
 * global settings); each can be cancelled by id, queued or running.
 */
import { T2LError } from '../../core/errors';
import { configureOrtWeb, detectWebGpu, warmOrtWeb } from '../../runtime/web';
import { HttpError, type DownloadContext } from './downloads';
import { cosines, releaseAnalysis } from './analysis';
import { releaseEncoder } from './encoder-loader';
import { releaseModels } from './model-loader';
import { generate, prepare } from './pipeline';
import { RemoteError, remoteFacts } from './remote';
import type { Inbound, Methods, Outbound, WorkerError } from './protocol';

performance.mark('t2l:worker-start');

// Before any session: onnxruntime-web fixes its wasm location and thread count at the first one.
const ort = configureOrtWeb();

let gpu: ReturnType<typeof detectWebGpu> | null = null;
const webGpuInfo = () => (gpu ??= detectWebGpu());

const post = (msg: Outbound, transfer: Transferable[] = []) => self.postMessage(msg, { transfer });
const jobs = new Map<number, AbortController>();
/** Calls received so far (capability checks aside): a queued preparation checks it is the last. */
let calls = 0;
let queue: Promise<unknown> = Promise.resolve();

function hfHeaders(token: string | undefined) {
  return (url: string): Record<string, string> => {
    const host = new URL(url).hostname;
    // The token is for the Hub only; never sent to any other host.
    return token && (host === 'huggingface.co' || host === 'hf.co')
      ? { Authorization: `Bearer ${token}` }
      : {};
  };
}

function toWorkerError(e: unknown, signal: AbortSignal): WorkerError {
  if (signal.aborted) return { code: 'cancelled', message: 'Cancelled.' };
  if (e instanceof HttpError)
    return { code: 'http', message: e.message, status: e.status, url: e.url };
  if (e instanceof RemoteError) return { code: e.code, message: e.message, remote: remoteFacts(e) };
  if (e instanceof T2LError) return { code: e.code, message: e.message };
  return { code: 'internal', message: e instanceof Error ? e.message : String(e) };
}

/** Typed-array buffers in a result move to the page instead of being copied. */
function transferables(value: unknown, out: Transferable[] = []): Transferable[] {
  if (ArrayBuffer.isView(value)) out.push(value.buffer as ArrayBuffer);
  else if (Array.isArray(value)) value.forEach((v) => transferables(v, out));
  else if (value && typeof value === 'object')
    Object.values(value).forEach((v) => transferables(v, out));
  return [...new Set(out)];
}

const handlers: {
  [M in keyof Methods]: (
    params: Methods[M]['params'],
    ctx: DownloadContext & { seq: number },
  ) => Promise<Methods[M]['result']>;
} = {
  capabilities: async () => ({
    webgpu: await webGpuInfo(),
    crossOriginIsolated: self.crossOriginIsolated,
    threads: ort.numThreads,
    hardwareConcurrency: navigator.hardwareConcurrency,
    wasm: typeof WebAssembly === 'object',
  }),
  generate: (params, ctx) =>
    generate(params, {
      ...ctx,
      headersFor: hfHeaders(params.hfToken),
      threads: ort.numThreads,
      wasmPaths: ort.wasmPaths,
      shaderF16: async () => (await webGpuInfo()).features.shaderF16,
    }),
  prepare: async (params, ctx) => {
    // A call that came after this one (another preparation, a generation) makes it moot.
    if (calls !== ctx.seq) return { ready: false, notes: ['superseded by a later call'] };
    const result = await prepare(params, {
      ...ctx,
      headersFor: hfHeaders(params.hfToken),
      threads: ort.numThreads,
      wasmPaths: ort.wasmPaths,
      shaderF16: async () => (await webGpuInfo()).features.shaderF16,
    });
    // Nothing cached to open: still have the runtime's wasm compiled before the generation.
    if (!result.ready && calls === ctx.seq) {
      await warmOrtWeb(params.backends[0] === 'webgpu' ? 'webgpu' : 'wasm');
    }
    return result;
  },
  cosines: async ({ ids }) => cosines(ids),
  release: async () => {
    releaseAnalysis();
    await releaseModels();
    await releaseEncoder();
    return null;
  },
};

self.onmessage = (event: MessageEvent<Inbound>) => {
  const msg = event.data;
  if (msg.type === 'cancel') {
    jobs.get(msg.id)?.abort(new DOMException('Cancelled', 'AbortError'));
    return;
  }
  const controller = new AbortController();
  jobs.set(msg.id, controller);
  if (msg.method !== 'capabilities') calls++;
  const ctx: DownloadContext & { seq: number } = {
    seq: calls,
    signal: controller.signal,
    progress: (progress) => post({ type: 'progress', id: msg.id, progress }),
    headersFor: () => ({}),
  };
  const run = async () => {
    try {
      controller.signal.throwIfAborted();
      const handler = handlers[msg.method] as (p: unknown, c: typeof ctx) => Promise<unknown>;
      const result = await handler(msg.params, ctx);
      controller.signal.throwIfAborted();
      post({ type: 'result', id: msg.id, result }, transferables(result));
    } catch (e) {
      post({ type: 'error', id: msg.id, error: toWorkerError(e, controller.signal) });
    } finally {
      jobs.delete(msg.id);
    }
  };
  // Capability checks need not wait behind a long generation.
  if (msg.method === 'capabilities') void run();
  else queue = queue.then(run);
};
