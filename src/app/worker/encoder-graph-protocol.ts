/**
 * The encoder-graph worker's methods (encoder-graph.worker.ts), in the shapes of rpc-protocol.ts:
 * the text encoder's ONNX session, kept in a worker of its own (see encoder-graph-client.ts).
 */
import type { TokenTensor } from '../../core/encoder/text-encoder';
import type { EpochSpan } from '../../runtime/marks';
import type { RpcInbound, RpcOutbound } from './rpc-protocol';

export interface EncoderGraphMethods {
  /**
   * Loads onnxruntime-web (its wasm from `wasmPaths`) before a graph arrives, and readies
   * `reserveBytes` of its heap for it (runtime/web.ts reserveWasmHeap; 0: none).
   */
  init: { params: { wasmPaths: string; reserveBytes: number }; result: null };
  /** Creates the session from the graph's bytes (moved, not copied); its input/output names. */
  open: {
    params: { model: Uint8Array };
    /** `spans`: the worker's stages so far (heap-reserve, session creation), for the benchmark. */
    result: { inputNames: string[]; outputNames: string[]; spans: EpochSpan[] };
  };
  /** One sequence through the session: last_hidden_state [1, n, E], float32. */
  run: {
    params: { feeds: Record<string, TokenTensor> };
    result: { dims: number[]; data: Float32Array };
  };
}

export type EncoderGraphInbound = RpcInbound<EncoderGraphMethods>;
export type EncoderGraphOutbound = RpcOutbound<never>;
