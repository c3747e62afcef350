/**
 * The messages between the page and the generation worker: its methods (Methods) and progress
 * events in the shapes of rpc-protocol.ts (ids, progress, one result or error, cancel). Everything
 * here must survive structured clone.
 */
import type { BenchmarkSample } from '../../core/eval/benchmarks';
import type { AdapterDType } from '../../core/adapter/adapter-files';
import type { EncoderDtype } from '../../core/encoder/dtype';
import type { Fidelity, Precision } from '../../core/package/manifest';
import type { WebGpuAdapterInfo, WebGpuInfo } from '../../runtime/web-caps';
import type { RpcInbound, RpcOutbound } from './rpc-protocol';

export type ComputeBackend = 'webgpu' | 'wasm' | 'remote';

/** A folder of hypernetwork files: over HTTP (self-hosted, Hub) or picked from the user's disk. */
export type ModelSource =
  | {
      kind: 'url';
      /** What the folder holds; 'auto' looks for t2l.json, then hypermod.pt. */
      format: 'package' | 'checkpoint' | 'auto';
      /** Absolute URL of the folder, ending in '/'. */
      url: string;
      label: string;
    }
  | { kind: 'files'; label: string; files: Record<string, Blob> };

/**
 * Where the text encoder's files are: a Hub model id or a folder URL (transformers.js layout), and
 * which transformers.js dtypes the folder has (fp32 only when not said).
 */
export type EncoderSource = (
  | {
      kind: 'hub';
      model: string;
      /** A commit; the Hub's main branch when absent. */ revision?: string;
      /** The Hub endpoint in force (the Settings field), validated; the public Hub when absent. */
      endpoint?: string;
    }
  | { kind: 'url'; url: string }
) & {
  dtypes?: EncoderDtype[];
};

/** A file's published size and SHA-256 (hex), as the catalog records them. */
export interface KnownFile {
  size: number;
  sha256?: string;
}

export interface RemoteEndpoint {
  url: string;
  token?: string;
}

export interface GenerateRequest {
  model: ModelSource;
  /** Text encoders by the id a package names (manifest.encoder); unknown ids are Hub models. */
  encoders: Record<string, EncoderSource>;
  descriptions: string[];
  /** Backends to try in order; the first that creates a session runs. */
  backends: ComputeBackend[];
  dtype: AdapterDType;
  /** Weight precision for a checkpoint converted here (a package keeps its own). */
  precision: Precision;
  /** transformers.js dtype of the text encoder; 'auto' picks one for the backend that runs. */
  encoderDtype: EncoderDtype | 'auto';
  /** Sent only to the Hub endpoint in force (hubEndpoint; huggingface.co when absent). */
  hfToken?: string;
  /** The Hub endpoint in force (Settings), validated; the public Hub when absent. */
  hubEndpoint?: string;
  /** Files whose size and hash the catalog records, by URL: a download that differs is refused. */
  known?: Record<string, KnownFile>;
  remote?: RemoteEndpoint;
  /** The model's name on the remote server (a served folder's name). */
  remoteModel?: string;
  /** Why these backends, to be echoed in the result. */
  backendReason: string;
  /** Generate from a mix of descriptions[0]'s embedding with another's (one adapter). */
  blend?: BlendRequest;
  /** Keep the adapters in the worker under this key and return their ΔW norms (Compare). */
  analysisKey?: string;
}

/**
 * What to have ready before Generate: the model's session and its text encoder, from the browser
 * cache only (nothing is downloaded). Local folders and remote backends are not prepared.
 */
export type PrepareRequest = Pick<
  GenerateRequest,
  | 'model'
  | 'encoders'
  | 'backends'
  | 'precision'
  | 'encoderDtype'
  | 'hfToken'
  | 'hubEndpoint'
  | 'known'
> & {
  /**
   * The encoder the catalog names for this model (a key of `encoders`), when known before its
   * manifest is read: on wasm its loading then starts beside the hypernetwork's session.
   */
  encoderHint?: string;
};

export interface PrepareResult {
  /** Both the hypernetwork's session and the text encoder are loaded. */
  ready: boolean;
  /** What was done or why not (for the tests and the console). */
  notes: string[];
}

export interface BlendRequest {
  /** The second description. */
  with: string;
  /** Its weight t in (1−t)·e₁ + t·e₂, 0 to 1. */
  weight: number;
}

/** One adapter's update sizes: ‖ΔW‖_F per layer and module (scale included). */
export interface AdapterAnalysis {
  /** Key for the cosines call. */
  id: string;
  modules: string[];
  scale: number;
  /** [layers][modules] */
  norms: number[][];
}

export type Stage = 'load' | 'encode' | 'hypernetwork' | 'pack';
export const STAGES: readonly Stage[] = ['load', 'encode', 'hypernetwork', 'pack'];

/** 'missing': the server has no such file (transformers.js probes for optional ones). */
export type FileState = 'downloading' | 'retrying' | 'cached' | 'done' | 'corrupt' | 'missing';

export type Progress =
  | { type: 'stage'; stage: Stage; detail: string }
  | {
      type: 'file';
      url: string;
      /** Short name for the UI, e.g. "model.onnx". */
      name: string;
      state: FileState;
      loaded: number;
      /** Null when the server does not say. */
      total: number | null;
      bytesPerSecond: number;
      note?: string;
    };

export interface ModelSummary {
  baseModel: string;
  variant: string;
  precision: string;
  source: string;
  encoder: string;
  layers: number;
  rank: number;
  modules: string[];
  paramCount: number;
  trainingTask: string;
  /** How close the package's adapters are to float32 (absent when not measured). */
  fidelity?: Fidelity;
}

export interface BackendReport {
  kind: ComputeBackend;
  /** One line, e.g. "WebGPU · nvidia ampere" or "wasm · 8 threads". */
  label: string;
  /** Why this backend ran (the choice, plus any fallback that happened). */
  reason: string;
  adapter?: WebGpuAdapterInfo | null;
  threads?: number;
  encoderDevice: string;
  /** The text encoder's dtype, and why. */
  encoderDtype: string;
  encoderDtypeReason: string;
}

export interface Timings {
  load: number;
  encode: number;
  hypernetwork: number;
  pack: number;
}

export interface GeneratedFile {
  description: string;
  /** File name without extension, from the description. */
  stem: string;
  safetensors: Uint8Array;
  /** README.md (model card) + adapter_config.json + adapter_model.safetensors. */
  zip: Uint8Array;
  /** llama.cpp / Ollama LoRA, or null with the reason in ggufNote. */
  gguf: Uint8Array | null;
  ggufNote: string;
}

/** What happened to each file the generation needed. */
export interface FileOutcome {
  url: string;
  name: string;
  /** 'refetched': the cached copy was damaged, so it was downloaded again. */
  outcome: 'cached' | 'downloaded' | 'refetched';
  bytes: number;
}

export interface GenerateResult {
  model: ModelSummary;
  /** Where the hypernetwork came from: its URL, or the local folder's name. */
  location: string;
  backend: BackendReport;
  timings: Timings;
  /** What the load stage did: converted in the browser, read from the cache, downloaded. */
  loadNotes: string[];
  files: FileOutcome[];
  adapters: GeneratedFile[];
  /** Per adapter, when the request had an analysisKey. */
  analysis?: AdapterAnalysis[];
}

export interface Capabilities {
  webgpu: WebGpuInfo;
  crossOriginIsolated: boolean;
  /** Threads onnxruntime-web's wasm backend uses (1 without cross-origin isolation). */
  threads: number;
  hardwareConcurrency: number;
  wasm: boolean;
}

/** A benchmark sample to read (worker/benchmark.ts); the token goes to the endpoint only. */
export interface BenchmarkRequest {
  /** One of core/eval/protocol.ts's BENCHMARKS. */
  benchmark: string;
  limit: number;
  seed: number;
  hfToken?: string;
  hubEndpoint?: string;
}

/** The worker's methods: params in, result out. */
export interface Methods {
  capabilities: { params: null; result: Capabilities };
  generate: { params: GenerateRequest; result: GenerateResult };
  /** Opens the session and loads the encoder a generation would use, from the cache only. */
  prepare: { params: PrepareRequest; result: PrepareResult };
  /** Cosine similarities of adapters kept by analysis ids (null: not comparable). */
  cosines: { params: { ids: string[] }; result: (number | null)[][] };
  /** Drops loaded sessions and encoders (e.g. after the cache is cleared). */
  release: { params: null; result: null };
  /** A seeded benchmark sample from the Hub endpoint and the verified cache (benchmark.ts). */
  benchmark: { params: BenchmarkRequest; result: BenchmarkSample };
}

export type Inbound = RpcInbound<Methods>;
export type Outbound = RpcOutbound<Progress>;
