/**
 * One interface over onnxruntime-node (CLI, server, tests) and onnxruntime-web (browser: WebGPU
 * first, wasm fallback). The core builds graphs and feeds; it never imports a runtime itself.
 */

export type Backend = 'webgpu' | 'wasm' | 'cpu' | 'cuda';

export interface FloatTensor {
  dims: number[];
  data: Float32Array;
}

export interface InferenceRunner {
  /** The execution provider that actually runs the session, e.g. 'webgpu' or 'wasm'. */
  readonly backend: Backend;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Runs the graph once; outputs are read back to the CPU as float32. */
  run(feeds: Record<string, FloatTensor>): Promise<Record<string, FloatTensor>>;
  release(): Promise<void>;
}

export interface RunnerOptions {
  /** Providers to try, in order; the first that creates a session wins. */
  backends?: Backend[];
  /** wasm/cpu threads; 0 or undefined lets the runtime decide. */
  numThreads?: number;
}

export type CreateRunner = (model: Uint8Array, options?: RunnerOptions) => Promise<InferenceRunner>;
