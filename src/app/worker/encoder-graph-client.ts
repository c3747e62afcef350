/**
 * The text encoder's ONNX session, on wasm, in a worker of its own (encoder-graph.worker.ts)
 * rather than in the T2L worker beside the hypernetwork's.
 *
 * Why: creating gte-large's q8 session is one thread's work for 5–7 s in Chromium (most of it the
 * first pass of onnxruntime's code over a 440 MB graph and its copy into a fresh wasm heap; a second
 * session in the same page takes 1–2 s, docs/benchmarks.md). In the T2L worker it queued behind or
 * beside the hypernetwork's session on the same thread; here the two are created on two cores at
 * once, while the description is typed. Letting the graph go terminates the worker, which also
 * gives its wasm heap back (a heap never shrinks).
 */
import type { EncoderGraph, TokenTensor } from '../../core/encoder/text-encoder';
import { T2LError } from '../../core/errors';
import { measureSpans, measured, type EpochSpan } from '../../runtime/marks';
import { WorkerCallError, createRpcClient, type RpcPort } from '../shared/worker-rpc';
import type {
  EncoderGraphInbound,
  EncoderGraphMethods,
  EncoderGraphOutbound,
} from './encoder-graph-protocol';

type Client = ReturnType<typeof createRpcClient<EncoderGraphMethods, never>>;

function spawn(wasmPaths: string, reserveBytes: number, onLost: (why: string) => void): Client {
  const client = createRpcClient<EncoderGraphMethods, never>(
    () => {
      const worker = new Worker(new URL('./encoder-graph.worker.ts', import.meta.url), {
        type: 'module',
      });
      // The RPC client would start a fresh worker for the next call, but the graph was in this one.
      worker.addEventListener('error', (e) => onLost(e.message || 'it stopped'));
      return worker as unknown as RpcPort<EncoderGraphInbound, EncoderGraphOutbound>;
    },
    { name: 'text encoder worker', cancel: { settle: 'by-worker' } },
  );
  // onnxruntime-web's wasm is fetched and compiled, and its heap readied, while the graph's bytes
  // are still being read.
  client.call('init', { wasmPaths, reserveBytes }).catch(() => undefined);
  return client;
}

/**
 * A failure in the encoder's worker as its caller should see it. A WorkerCallError is already a
 * T2LError: one with the worker's own code (the graph could not be loaded or run: 'runtime') goes
 * on as it is. 'internal' (the worker stopped, or threw something that is not a T2LError) is the
 * backend failing, so it becomes 'runtime' with the same message: the page then says "The backend
 * failed" and offers another backend, rather than "Something went wrong".
 */
function encoderFailure(e: unknown): unknown {
  return e instanceof WorkerCallError && e.code === 'internal'
    ? new T2LError('runtime', e.message, { cause: e })
    : e;
}

/** A started encoder worker, waiting for its graph. */
export interface EncoderGraphSlot {
  /**
   * Creates the session from `model` (its buffer is moved to the worker when it is the whole
   * buffer: the caller's bytes are empty afterwards). Once per slot.
   * Errors: T2LError 'runtime' when onnxruntime-web cannot load the graph (the worker is ended).
   */
  open(model: Uint8Array): Promise<EncoderGraph>;
  /** Ends the worker when no graph will come (the graph's download failed). */
  discard(): void;
}

/**
 * Starts an encoder worker now, so onnxruntime-web loads while the caller fetches the graph.
 * `graphBytes`: the graph's size when known (0 if not); twice that is readied in the worker's heap
 * (the graph's copy and its initializers). The opened graph owns the worker; its release()
 * terminates it. `onLost` is told when the worker stopped on its own (an uncaught error, a crash):
 * the graph is gone with it, and every later run() fails with a T2LError saying so.
 */
export function startEncoderGraphWorker(
  wasmPaths: string,
  graphBytes: number,
  onLost: () => void = () => {},
): EncoderGraphSlot {
  let lost: string | null = null;
  let opened = false;
  const client = spawn(wasmPaths, 2 * graphBytes, (why) => {
    // Before the graph is opened a failed worker fails its calls, and the next one starts anew.
    if (!opened) return;
    lost ??= why;
    onLost();
  });
  let used = false;
  return {
    discard: () => {
      if (!used) client.terminate();
    },
    async open(model) {
      if (used) throw new T2LError('runtime', 'this encoder worker already holds a graph');
      used = true;
      const whole = model.byteOffset === 0 && model.byteLength === model.buffer.byteLength;
      let names: { inputNames: string[]; outputNames: string[]; spans: EpochSpan[] };
      try {
        names = await measured('session:encoder', () =>
          client.call('open', { model }, whole ? { transfer: [model.buffer] } : {}),
        );
      } catch (e) {
        client.terminate();
        throw encoderFailure(e);
      }
      opened = true;
      measureSpans(names.spans);
      return {
        inputNames: names.inputNames,
        outputNames: names.outputNames,
        async run(feeds: Record<string, TokenTensor>) {
          if (lost !== null) {
            throw new T2LError(
              'runtime',
              `The text encoder's worker stopped (${lost}); generate again to load the encoder anew`,
            );
          }
          try {
            return await client.call('run', { feeds });
          } catch (e) {
            throw encoderFailure(e);
          }
        },
        async release() {
          client.terminate();
        },
      };
    },
  };
}
