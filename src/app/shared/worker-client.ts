/**
 * The page's side of the T2L worker (protocol.ts), through the typed client of worker-rpc.ts. A
 * cancelled call settles at once; if the worker has not let go of it shortly after (a long
 * synchronous wasm run cannot be interrupted), the worker is replaced and any other calls waiting
 * in it are sent to the new one.
 */
import type { Methods, Progress } from '../worker/protocol';
import { createRpcClient, type RpcCallOptions, type RpcClient, type RpcPort } from './worker-rpc';
import type { Inbound, Outbound } from '../worker/protocol';

export type CallOptions = RpcCallOptions<Progress>;
export type WorkerClient = RpcClient<Methods, Progress>;

/** How long a cancelled call may keep the worker busy before it is replaced. */
const CANCEL_GRACE_MS = 1500;

export function createWorkerClient(spawn: () => RpcPort<Inbound, Outbound>): WorkerClient {
  return createRpcClient<Methods, Progress>(spawn, {
    name: 'generation worker',
    cancel: { settle: 'at-once', graceMs: CANCEL_GRACE_MS },
  });
}

let shared: WorkerClient | null = null;

/** The app's one generation worker, started on first use. */
export function workerClient(): WorkerClient {
  shared ??= createWorkerClient(
    () => new Worker(new URL('../worker/t2l.worker.ts', import.meta.url), { type: 'module' }),
  );
  return shared;
}
