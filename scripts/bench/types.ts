/** Median, min and max of a list of timings (ms). */
export interface Stats {
  median: number;
  min: number;
  max: number;
  runs: number;
}

export function stats(values: number[]): Stats {
  if (values.length === 0) return { median: NaN, min: NaN, max: NaN, runs: 0 };
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]!, runs: s.length };
}

/** One (runtime, shape, precision) measurement. */
export interface CaseResult {
  runtime: 'node' | 'chromium';
  backend: 'cpu' | 'wasm' | 'webgpu';
  threads: number;
  shape: string;
  precision: string;
  blockSize?: number;
  ptMiB: number;
  params: number;
  packageMiB: number;
  /** Chromium: fetching the three checkpoint files from the local dev server. */
  fetchMs?: number;
  /** Reading the checkpoint folder: file bytes (Node), zip, pickle, spec. */
  readMs: number;
  /** Building and encoding the ONNX graph (transposing and quantizing the weights). */
  convertMs: number;
  sessionMs: number;
  firstRunMs: number;
  /** Warm generation of one adapter. */
  single: Stats;
  /** Warm generation of 8 adapters in one batch. */
  batch8: Stats;
  flopsPerEmbedding: number;
  /** Bytes of the graph's initializers (what one generation reads at least once). */
  weightBytes: number;
  memory: Record<string, number>;
  fidelity?: { minCosine: number; meanCosine: number; maxRelError: number; worst: string };
  /** 1-minute load average before and after the case (other processes share the CPUs). */
  loadAverage?: [number, number];
  /** With --passes: every pass's median of one adapter (the table shows the lowest). */
  passMedians?: number[];
  error?: string;
}
