/**
 * The text encoder's session in a worker of its own (encoder-graph-client.ts says why): one graph
 * per worker; the T2L worker terminates it to let the graph go, which also returns its wasm heap.
 */
import { T2LError } from '../../core/errors';
import type { EncoderGraph } from '../../core/encoder/text-encoder';
import {
  configureOrtWeb,
  openWasmEncoderGraph,
  reserveWasmHeap,
  warmOrtWeb,
} from '../../runtime/web';
import type {
  EncoderGraphInbound,
  EncoderGraphMethods,
  EncoderGraphOutbound,
} from './encoder-graph-protocol';
import { serveRpc, type RpcScope } from './rpc-serve';
import { timedSpan, type EpochSpan } from '../../runtime/marks';

let graph: EncoderGraph | null = null;
/** This worker's stages, handed to the T2L worker with the opened graph. */
const spans: EpochSpan[] = [];
let configured = false;

function configure(wasmPaths: string): void {
  if (configured) return;
  configured = true;
  configureOrtWeb({ wasmPaths });
}

type Handler<K extends keyof EncoderGraphMethods> = (
  params: EncoderGraphMethods[K]['params'],
) => Promise<EncoderGraphMethods[K]['result']>;

const handlers: { [K in keyof EncoderGraphMethods]: Handler<K> } = {
  init: async ({ wasmPaths, reserveBytes }) => {
    configure(wasmPaths);
    // The reserving session also loads onnxruntime-web; without one, a one-node session does.
    if (reserveBytes > 0) {
      await timedSpan('encoder-worker:heap-reserve', () => reserveWasmHeap(reserveBytes), spans);
    } else await timedSpan('encoder-worker:ort-warm', () => warmOrtWeb('wasm'), spans);
    return null;
  },
  open: async ({ model }) => {
    if (graph) throw new T2LError('runtime', 'this encoder worker already holds a graph');
    graph = await timedSpan('encoder-worker:create', () => openWasmEncoderGraph(model), spans);
    return {
      inputNames: [...graph.inputNames],
      outputNames: [...graph.outputNames],
      spans: spans.splice(0),
    };
  },
  run: async ({ feeds }) => {
    if (!graph) throw new T2LError('runtime', 'the encoder worker holds no graph');
    return graph.run(feeds);
  },
};

serveRpc<EncoderGraphMethods, never>(
  self as unknown as RpcScope<EncoderGraphInbound, EncoderGraphOutbound>,
  {
    accept: (msg) => () =>
      (handlers[msg.method] as Handler<keyof EncoderGraphMethods>)(msg.params as never),
    lane: () => 'queue',
    toError: (e) =>
      e instanceof T2LError
        ? { code: e.code, message: e.message }
        : { code: 'internal', message: e instanceof Error ? e.message : String(e) },
    // The hidden states go back to the T2L worker without a copy.
    transfer: (result) =>
      result &&
      typeof result === 'object' &&
      'data' in result &&
      result.data instanceof Float32Array
        ? [result.data.buffer]
        : [],
  },
);
