/**
 * The generation worker: downloads, conversion, the text encoder and the hypernetwork all run here,
 * off the UI thread. Calls run one at a time (they share the GPU, the encoder and transformers.js's
 * global settings); each can be cancelled by id, queued or running.
 *
 * This module stays light: the capability check is answered from src/runtime/web-caps.ts alone,
 * and onnxruntime-web, transformers.js and the pipeline (./jobs) are imported on demand, starting
 * as soon as the first capability check has been answered (or at the first other call).
 */
import { measure, measured } from '../../runtime/marks';
import { defaultThreads, detectWebGpu } from '../../runtime/web-caps';
import type { DownloadContext } from './downloads';
import type { Inbound, Methods, Outbound, Progress } from './protocol';
import { serveRpc, type RpcScope } from './rpc-serve';
import type { WorkerError } from './rpc-protocol';

performance.mark('t2l:worker-start');

let gpu: ReturnType<typeof detectWebGpu> | null = null;
const webGpuInfo = () => (gpu ??= detectWebGpu());

/** Calls received so far (capability checks aside): a queued preparation checks it is the last. */
let calls = 0;

type Jobs = typeof import('./jobs');
let heavy: Promise<{ mod: Jobs; handlers: ReturnType<Jobs['jobHandlers']> }> | undefined;
function loadJobs() {
  heavy ??= measured('worker-imports', () => import('./jobs')).then(
    (mod) => ({
      mod,
      handlers: mod.jobHandlers({ webGpuInfo, superseded: (seq) => calls !== seq }),
    }),
    (e: unknown) => {
      // Fetching the module failed (offline for a moment, the server restarting): the next call
      // tries again instead of every later call failing with this one's error.
      heavy = undefined;
      throw e;
    },
  );
  return heavy;
}

async function capabilities(): Promise<Methods['capabilities']['result']> {
  return {
    webgpu: await webGpuInfo(),
    crossOriginIsolated: self.crossOriginIsolated,
    // What configureOrtWeb() (in ./jobs) will set: the same default.
    threads: defaultThreads(),
    hardwareConcurrency: navigator.hardwareConcurrency,
    wasm: typeof WebAssembly === 'object',
  };
}

async function toWorkerError(e: unknown, signal: AbortSignal): Promise<WorkerError> {
  if (signal.aborted) return { code: 'cancelled', message: 'Cancelled.' };
  const loaded = await heavy?.catch(() => undefined);
  if (loaded) return loaded.mod.toWorkerError(e, signal);
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

serveRpc<Methods, Progress>(self as unknown as RpcScope<Inbound, Outbound>, {
  accept(msg, { signal, progress }) {
    if (msg.method === 'capabilities') return capabilities;
    calls++;
    const ctx: DownloadContext & { seq: number } = {
      seq: calls,
      signal,
      progress,
      headersFor: () => ({}),
    };
    return async () => {
      const { handlers } = await loadJobs();
      signal.throwIfAborted();
      const handler = handlers[msg.method] as (p: unknown, c: typeof ctx) => Promise<unknown>;
      return handler(msg.params, ctx);
    };
  },
  // Capability checks need not wait behind a long generation, nor behind the heavy imports.
  lane: (method) => (method === 'capabilities' ? 'now' : 'queue'),
  toError: toWorkerError,
  transfer: (result) => transferables(result),
  answered(method, arrivedAt) {
    if (method !== 'capabilities') return;
    measure('capabilities', arrivedAt);
    // The page is up: now fetch and evaluate the rest, while the user looks at it.
    void loadJobs().catch(() => undefined);
  },
});
