import {
  AutoConfig,
  AutoModel,
  AutoTokenizer,
  PreTrainedModel,
  Tensor,
  type DataType,
  type DeviceType,
  type PretrainedModelOptions,
  type PreTrainedTokenizer,
  type ProgressInfo,
} from '@huggingface/transformers';
import { T2LError } from '../errors';
import { ENCODER_DTYPE_FILES, ENCODER_DTYPES, type EncoderDtype } from './dtype';
import { formatDescription } from './format';
import { configureWasm, locate, withEnv, type ModelSource, type WasmPaths } from './model-source';

export type { WasmPaths };

export const DEFAULT_ENCODER = 'Alibaba-NLP/gte-large-en-v1.5';
/** The reference truncates descriptions to this many tokens, special tokens included. */
export const MAX_TOKENS = 8192;

export interface TextEncoderOptions {
  /** Hugging Face Hub model id; ignored when `localPath` is given. */
  model?: string;
  /**
   * A folder in the transformers.js layout (config.json, tokenizer files, onnx/model*.onnx): a
   * directory in Node; in the browser a URL, absolute or relative to the page (or worker) location.
   * Nothing is fetched from the Hub then, and nothing is cached.
   */
  localPath?: string;
  /** transformers.js dtype (fp32, fp16, q8, ...); fp32 by default, as the reference runs. */
  dtype?: string;
  /** transformers.js device (cpu, wasm, webgpu, cuda, ...); its own default when absent. */
  device?: string;
  /**
   * The Hub endpoint (HF_ENDPOINT, the page's setting): an origin serving the Hub's
   * /{repo}/resolve/{revision}/{file} layout; the public Hub when absent. Ignored with `localPath`.
   */
  endpoint?: string;
  /** Hub revision (branch, tag or commit). */
  revision?: string;
  /** Node only: where Hub downloads are cached (transformers.js's default otherwise). */
  cacheDir?: string;
  /**
   * Browser: where the app serves onnxruntime-web's .mjs/.wasm files. Without it, a CDN default
   * set by transformers.js is removed so onnxruntime-web looks beside its own bundle.
   */
  wasmPaths?: WasmPaths;
  progress?: (p: ProgressInfo) => void;
  /**
   * Runs the encoder's ONNX file outside transformers.js: called with the file's URL (or path)
   * exactly as transformers.js would read it (`onnx/model_quantized.onnx` for q8, ...), it returns
   * the opened graph. transformers.js then loads only config.json and the tokenizer. The page uses
   * it on wasm to hand the verified cached bytes straight to the project's own onnxruntime-web
   * session: through transformers.js a 440 MB gte-large q8 file was copied again as a Response
   * body and its session created seconds later (issue 20's first-adapter stages).
   * `signal` is aborted when config.json or the tokenizer fail while the graph is still being
   * read: the error is reported then, not after the rest of a 440 MB download.
   */
  openGraph?: (url: string, file: string, signal: AbortSignal) => Promise<EncoderGraph>;
}

/** An int64 token tensor, [1, n]. */
export interface TokenTensor {
  dims: [number, number];
  data: BigInt64Array;
}

/** The encoder's ONNX graph, opened by the caller (TextEncoderOptions.openGraph). */
export interface EncoderGraph {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /**
   * One sequence: feeds named among input_ids / attention_mask / token_type_ids, each [1, n];
   * returns last_hidden_state, [1, n, E], as float32.
   */
  run(feeds: Record<string, TokenTensor>): Promise<{ dims: number[]; data: Float32Array }>;
  release(): Promise<void>;
}

/** The token inputs an encoder-only export of transformers.js's layout may take. */
const TOKEN_INPUTS = ['input_ids', 'attention_mask', 'token_type_ids'] as const;

export interface Embeddings {
  /** [descriptions, E] */
  dims: [number, number];
  /** Row-major; every row has L2 norm sqrt(E). */
  data: Float32Array;
  /** The descriptions as they were embedded. */
  formatted: string[];
}

export interface DescriptionEncoder {
  id: string;
  /** E, the embedding width. */
  dim: number;
  embed(descriptions: string[]): Promise<Embeddings>;
  dispose(): Promise<void>;
}

/**
 * Checks one sequence's last_hidden_state: [1, n, E] for n tokens in. Both ways of running the
 * graph (transformers.js's model, the caller's openGraph) go through here.
 */
function checkLastHidden(dims: readonly number[], n: number, dim: number): void {
  if (dims.length !== 3 || dims[0] !== 1 || dims[1] !== n || dims[2] !== dim) {
    throw new T2LError(
      'runtime',
      `Text encoder: last_hidden_state has shape [${dims.join(', ')}], expected [1, ${n}, ${dim}]`,
    );
  }
}

function intTensor(values: number[]): Tensor {
  return new Tensor(
    'int64',
    BigInt64Array.from(values, (v) => BigInt(v)),
    [1, values.length],
  );
}

/** Token ids as the reference's tokenizer(truncation=True, max_length=8192) gives them. */
export function tokenizeDescription(tokenizer: PreTrainedTokenizer, text: string): number[] {
  const ids = tokenizer.encode(text);
  if (ids.length <= MAX_TOKENS) return ids;
  // Truncation drops text tokens from the end and keeps the template's special tokens.
  const content = tokenizer.encode(text, { add_special_tokens: false });
  const extra = ids.length - content.length;
  let start = 0;
  while (start <= extra && content.some((id, i) => ids[start + i] !== id)) start++;
  if (start > extra) {
    throw new T2LError(
      'runtime',
      'Text encoder: cannot locate the text tokens inside the special-token template',
    );
  }
  return [
    ...ids.slice(0, start),
    ...content.slice(0, MAX_TOKENS - extra),
    ...ids.slice(start + content.length),
  ];
}

function normalizedRow(hidden: Float32Array, dim: number): Float32Array {
  let sum = 0;
  for (let i = 0; i < dim; i++) sum += hidden[i]! * hidden[i]!;
  // As torch.nn.functional.normalize(eps=1e-12), then times sqrt(E).
  const scale = Math.sqrt(dim) / Math.max(Math.sqrt(sum), 1e-12);
  const row = new Float32Array(dim);
  for (let i = 0; i < dim; i++) row[i] = hidden[i]! * scale;
  return row;
}

/**
 * model_types of encoder-only models that transformers.js 4.3 has no class for, whose ONNX export
 * takes input_ids, attention_mask and token_type_ids and returns last_hidden_state, as its
 * encoder-only base class runs them. "new": gte-large-en-v1.5's NewModel (BERT + RoPE + GLU;
 * Alibaba-NLP/new-impl), whose rotary positions live inside the graph.
 */
export const ENCODER_ONLY_MODEL_TYPES: ReadonlySet<string> = new Set(['new']);

/**
 * AutoModel, except for ENCODER_ONLY_MODEL_TYPES: AutoModel would fall back to the base class too,
 * with an "Unknown model class" warning; here that class is chosen on purpose and the config read
 * once.
 */
async function loadModel(modelId: string, options: PretrainedModelOptions) {
  const config = await AutoConfig.from_pretrained(modelId, options);
  const withConfig = { ...options, config };
  return ENCODER_ONLY_MODEL_TYPES.has(String(config.model_type))
    ? PreTrainedModel.from_pretrained(modelId, withConfig)
    : AutoModel.from_pretrained(modelId, withConfig);
}

/**
 * Where transformers.js would read `file` of the located model: `{remoteHost}{remotePathTemplate}
 * {file}` with `{model}` and `{revision}` filled in (transformers.js's own rule, utils/hub.js), or
 * `{localModelPath}{model}/{file}` for a Node folder.
 */
function fileLocation(source: ModelSource, revision: string, file: string): string {
  const p = source.patch as {
    remoteHost?: string;
    remotePathTemplate?: string;
    localModelPath?: string;
  };
  if (source.localFilesOnly && p.localModelPath !== undefined) {
    return `${p.localModelPath.replace(/[/\\]+$/, '')}/${source.modelId}/${file}`;
  }
  const host = p.remoteHost ?? `${DEFAULT_HUB}/`;
  const template = (p.remotePathTemplate ?? '{model}/resolve/{revision}/')
    .replaceAll('{model}', source.modelId)
    .replaceAll('{revision}', encodeURIComponent(revision));
  return `${host}${template}${file}`;
}

const DEFAULT_HUB = 'https://huggingface.co';

/**
 * Loads the tokenizer and `part` (the model, or only its config when the caller opens the graph)
 * side by side under the source's env patch, and reads E from the config's hidden_size.
 * Errors: 'missing-file' naming the source when either load fails; 'bad-config' when hidden_size
 * is not a positive integer. `part` is disposed whenever it loaded but is not returned.
 */
async function loadWithTokenizer<T>(
  source: ModelSource,
  loadOptions: PretrainedModelOptions,
  id: string,
  part: {
    load: () => Promise<T>;
    config: (loaded: T) => unknown;
    dispose: (loaded: T) => Promise<unknown>;
  },
): Promise<{ tokenizer: PreTrainedTokenizer; part: T; dim: number }> {
  const [tokenizer, loaded] = await withEnv(source.patch, async () => {
    // allSettled: neither load may outlive the env patch, even when the other one fails.
    const [tok, other] = await Promise.allSettled([
      AutoTokenizer.from_pretrained(source.modelId, loadOptions),
      part.load(),
    ]);
    if (tok.status === 'fulfilled' && other.status === 'fulfilled') {
      return [tok.value, other.value] as const;
    }
    if (other.status === 'fulfilled') await part.dispose(other.value);
    const err: unknown =
      tok.status === 'rejected' ? tok.reason : (other as PromiseRejectedResult).reason;
    throw new T2LError(
      'missing-file',
      `Cannot load the text encoder from ${source.where}: ${String(err)}`,
      { cause: err },
    );
  });
  const dim = Number((part.config(loaded) as { hidden_size?: unknown }).hidden_size);
  if (!Number.isInteger(dim) || dim <= 0) {
    await part.dispose(loaded);
    throw new T2LError('bad-config', `Text encoder ${id}: config.json has no valid hidden_size`);
  }
  return { tokenizer, part: loaded, dim };
}

/** Loads the task-description encoder: tokenizer + ONNX model through transformers.js. */
export async function createTextEncoder(
  options: TextEncoderOptions = {},
): Promise<DescriptionEncoder> {
  configureWasm(options.wasmPaths);
  const source = locate({
    model: options.model ?? DEFAULT_ENCODER,
    localPath: options.localPath,
    endpoint: options.endpoint,
    revision: options.revision,
  });
  const { modelId } = source;
  const id = options.localPath ?? modelId;

  const loadOptions: PretrainedModelOptions = {
    revision: options.revision ?? 'main',
    local_files_only: source.localFilesOnly,
    ...(options.cacheDir !== undefined ? { cache_dir: options.cacheDir } : {}),
    ...(options.progress !== undefined ? { progress_callback: options.progress } : {}),
  };

  if (options.openGraph) return withOwnGraph(options, options.openGraph, source, loadOptions);

  const modelOptions: PretrainedModelOptions = {
    ...loadOptions,
    dtype: (options.dtype ?? 'fp32') as DataType,
    ...(options.device !== undefined ? { device: options.device as DeviceType } : {}),
  };
  const {
    tokenizer,
    part: model,
    dim,
  } = await loadWithTokenizer(source, loadOptions, id, {
    load: () => loadModel(modelId, modelOptions),
    config: (m) => m.config,
    dispose: (m) => m.dispose(),
  });

  async function embedOne(text: string): Promise<Float32Array> {
    const ids = tokenizeDescription(tokenizer, text);
    const inputs = {
      input_ids: intTensor(ids),
      attention_mask: intTensor(ids.map(() => 1)),
      // One sequence: every token has type 0, as the template gives.
      token_type_ids: intTensor(ids.map(() => 0)),
    };
    const out = (await model(inputs)) as { last_hidden_state?: Tensor };
    const hidden = out.last_hidden_state;
    if (!hidden) {
      throw new T2LError(
        'runtime',
        `Text encoder ${id}: the model has no last_hidden_state output`,
      );
    }
    checkLastHidden(hidden.dims, ids.length, dim);
    const f32 = hidden.type === 'float32' ? hidden : hidden.to('float32');
    const row = normalizedRow(f32.data as Float32Array, dim);
    for (const t of new Set([...Object.values(out), ...Object.values(inputs), f32])) t?.dispose();
    return row;
  }

  return descriptionEncoder(id, dim, embedOne, () => model.dispose());
}

/** The DescriptionEncoder over one sequence's embedding (`embedOne`: a formatted text → [E]). */
function descriptionEncoder(
  id: string,
  dim: number,
  embedOne: (text: string) => Promise<Float32Array>,
  dispose: () => Promise<unknown>,
): DescriptionEncoder {
  return {
    id,
    dim,
    async embed(descriptions) {
      const formatted = descriptions.map((d, i) => {
        try {
          return formatDescription(d);
        } catch (err) {
          if (descriptions.length > 1 && err instanceof T2LError) {
            throw new T2LError(
              err.code,
              `Description ${i + 1} of ${descriptions.length}: ${err.message}`,
            );
          }
          throw err;
        }
      });
      const data = new Float32Array(formatted.length * dim);
      // One at a time: no padding, so a description's embedding never depends on its neighbours.
      for (const [i, text] of formatted.entries()) data.set(await embedOne(text), i * dim);
      return { dims: [formatted.length, dim], data, formatted };
    },
    async dispose() {
      await dispose();
    },
  };
}

/**
 * createTextEncoder with the ONNX graph opened by the caller: transformers.js reads config.json
 * and the tokenizer; the graph gets the same feeds transformers.js's encoder-only base class gives
 * (the token inputs the graph declares) and its last_hidden_state is pooled the same way (CLS row,
 * normalized, times sqrt(E)).
 */
async function withOwnGraph(
  options: TextEncoderOptions,
  openGraph: NonNullable<TextEncoderOptions['openGraph']>,
  source: ModelSource,
  loadOptions: PretrainedModelOptions,
): Promise<DescriptionEncoder> {
  const id = options.localPath ?? source.modelId;
  const dtype = options.dtype ?? 'fp32';
  if (!ENCODER_DTYPES.includes(dtype as EncoderDtype)) {
    throw new T2LError(
      'bad-input',
      `Text encoder ${id}: dtype ${dtype} is not one of ${ENCODER_DTYPES.join(', ')}`,
    );
  }
  const file = ENCODER_DTYPE_FILES[dtype as EncoderDtype];
  // The graph (seconds to read and open for gte-large) starts beside the tokenizer and config, and
  // is let go if they fail.
  const stop = new AbortController();
  const opening = openGraph(
    fileLocation(source, options.revision ?? 'main', file),
    file,
    stop.signal,
  );
  // Its failure is reported where it is awaited below, not as an unhandled rejection meanwhile.
  opening.catch(() => undefined);
  let loadedTokenizer: Awaited<ReturnType<typeof loadWithTokenizer>>;
  try {
    loadedTokenizer = await loadWithTokenizer(source, loadOptions, id, {
      load: () => AutoConfig.from_pretrained(source.modelId, loadOptions),
      config: (c) => c,
      dispose: async () => {},
    });
  } catch (e) {
    stop.abort(
      new T2LError('cancelled', `Text encoder ${id}: not opened (${file} was not needed)`),
    );
    await opening.then((g) => g.release()).catch(() => undefined);
    throw e;
  }
  const { tokenizer, dim } = loadedTokenizer;
  const graph = await opening;
  const unknown = graph.inputNames.filter((n) => !(TOKEN_INPUTS as readonly string[]).includes(n));
  const problem = !graph.outputNames.includes('last_hidden_state')
    ? 'the model has no last_hidden_state output'
    : unknown.length > 0 || !graph.inputNames.includes('input_ids')
      ? `its inputs are ${graph.inputNames.join(', ')}; expected input_ids and optionally attention_mask, token_type_ids`
      : null;
  if (problem) {
    await graph.release();
    throw new T2LError('bad-package', `Text encoder ${id} (${file}): ${problem}`);
  }

  async function embedOne(text: string): Promise<Float32Array> {
    const ids = tokenizeDescription(tokenizer, text);
    const n = ids.length;
    const values: Record<(typeof TOKEN_INPUTS)[number], () => BigInt64Array> = {
      input_ids: () => BigInt64Array.from(ids, (v) => BigInt(v)),
      attention_mask: () => new BigInt64Array(n).fill(1n),
      // One sequence: every token has type 0, as the template gives.
      token_type_ids: () => new BigInt64Array(n),
    };
    const feeds: Record<string, TokenTensor> = {};
    for (const name of graph.inputNames) {
      feeds[name] = { dims: [1, n], data: values[name as keyof typeof values]() };
    }
    const hidden = await graph.run(feeds);
    checkLastHidden(hidden.dims, n, dim);
    return normalizedRow(hidden.data, dim);
  }

  return descriptionEncoder(id, dim, embedOne, () => graph.release());
}
