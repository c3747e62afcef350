/**
 * The generation worker's heavy half: everything that needs onnxruntime-web and transformers.js.
 * t2l.worker.ts imports it on demand (a dynamic import), so that the worker answers its capability
 * check before these modules are fetched and evaluated.
 */
import { T2LError } from '../../core/errors';
import { configureOrtWeb, warmOrtWeb, type WebGpuInfo } from '../../runtime/web';
import { PUBLIC_HUB, sendsTokenTo } from '../shared/hub-endpoint';
import { HttpError, type DownloadContext } from './downloads';
import { cosines, releaseAnalysis } from './analysis';
import { benchmarkSample } from './benchmark';
import { releaseEncoder } from './encoder-loader';
import { releaseModels } from './model-loader';
import { generate, prepare } from './pipeline';
import { RemoteError, remoteFacts } from './remote';
import type { Methods } from './protocol';
import type { WorkerError } from './rpc-protocol';

// Before any session: onnxruntime-web fixes its wasm location and thread count at the first one.
const ort = configureOrtWeb();

export type JobMethod = Exclude<keyof Methods, 'capabilities'>;

export interface JobEnv {
  webGpuInfo: () => Promise<WebGpuInfo>;
  /** Whether a call came after the one numbered `seq` (it then makes a preparation moot). */
  superseded: (seq: number) => boolean;
}

export type JobContextIn = DownloadContext & { seq: number };

function hfHeaders(token: string | undefined, endpoint: string | undefined) {
  // The token is for the Hub endpoint in force only; never sent to any other host.
  return (url: string): Record<string, string> =>
    token && sendsTokenTo(url, endpoint ?? PUBLIC_HUB) ? { Authorization: `Bearer ${token}` } : {};
}

export function toWorkerError(e: unknown, signal: AbortSignal): WorkerError {
  if (signal.aborted) return { code: 'cancelled', message: 'Cancelled.' };
  if (e instanceof HttpError)
    return { code: 'http', message: e.message, status: e.status, url: e.url };
  if (e instanceof RemoteError) return { code: e.code, message: e.message, remote: remoteFacts(e) };
  if (e instanceof T2LError) return { code: e.code, message: e.message };
  return { code: 'internal', message: e instanceof Error ? e.message : String(e) };
}

export function jobHandlers(env: JobEnv): {
  [M in JobMethod]: (
    params: Methods[M]['params'],
    ctx: JobContextIn,
  ) => Promise<Methods[M]['result']>;
} {
  const jobContext = (
    ctx: JobContextIn,
    params: {
      hfToken?: string | undefined;
      hubEndpoint?: string | undefined;
      known?: Methods['generate']['params']['known'];
    },
  ) => ({
    ...ctx,
    headersFor: hfHeaders(params.hfToken, params.hubEndpoint),
    hubEndpoint: params.hubEndpoint ?? PUBLIC_HUB,
    ...(params.known ? { known: params.known } : {}),
    threads: ort.numThreads,
    wasmPaths: ort.wasmPaths,
    shaderF16: async () => (await env.webGpuInfo()).features.shaderF16,
  });
  return {
    generate: (params, ctx) => generate(params, jobContext(ctx, params)),
    prepare: async (params, ctx) => {
      const superseded = () => env.superseded(ctx.seq);
      // A call that came after this one (another preparation, a generation) makes it moot.
      if (superseded()) return { ready: false, notes: ['superseded by a later call'] };
      const result = await prepare(params, jobContext(ctx, params), superseded);
      // Nothing cached to open: still have the runtime's wasm compiled before the generation.
      if (!result.ready && !superseded()) {
        await warmOrtWeb(params.backends[0] === 'webgpu' ? 'webgpu' : 'wasm');
      }
      return result;
    },
    cosines: async ({ ids }) => cosines(ids),
    benchmark: (params, ctx) => benchmarkSample(params, jobContext(ctx, params)),
    release: async () => {
      releaseAnalysis();
      await releaseModels();
      await releaseEncoder();
      return null;
    },
  };
}
