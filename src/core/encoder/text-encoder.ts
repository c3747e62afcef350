import {
  AutoModel,
  AutoTokenizer,
  Tensor,
  type DataType,
  type DeviceType,
  type PretrainedModelOptions,
  type PreTrainedTokenizer,
  type ProgressInfo,
} from '@huggingface/transformers';
import { T2LError } from '../errors';
import { formatDescription } from './format';
import { configureWasm, locate, withEnv, type WasmPaths } from './model-source';

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
}

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

function hasRows(t: Tensor, what: string, dim: number): void {
  if (t.dims.length !== 3 || t.dims[0] !== 1 || t.dims[2] !== dim) {
    throw new T2LError(
      'runtime',
      `Text encoder: ${what} has shape [${t.dims.join(', ')}], expected [1, n, ${dim}]`,
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

/** Loads the task-description encoder: tokenizer + ONNX model through transformers.js. */
export async function createTextEncoder(
  options: TextEncoderOptions = {},
): Promise<DescriptionEncoder> {
  configureWasm(options.wasmPaths);
  const source = locate({ model: options.model ?? DEFAULT_ENCODER, localPath: options.localPath });
  const { modelId } = source;
  const id = options.localPath ?? modelId;

  const loadOptions: PretrainedModelOptions = {
    revision: options.revision ?? 'main',
    local_files_only: source.localFilesOnly,
    ...(options.cacheDir !== undefined ? { cache_dir: options.cacheDir } : {}),
    ...(options.progress !== undefined ? { progress_callback: options.progress } : {}),
  };

  const [tokenizer, model] = await withEnv(source.patch, async () => {
    // allSettled: neither load may outlive the env patch, even when the other one fails.
    const [tok, mod] = await Promise.allSettled([
      AutoTokenizer.from_pretrained(modelId, loadOptions),
      AutoModel.from_pretrained(modelId, {
        ...loadOptions,
        dtype: (options.dtype ?? 'fp32') as DataType,
        ...(options.device !== undefined ? { device: options.device as DeviceType } : {}),
      }),
    ]);
    if (tok.status === 'fulfilled' && mod.status === 'fulfilled') {
      return [tok.value, mod.value] as const;
    }
    if (mod.status === 'fulfilled') await mod.value.dispose();
    const err: unknown =
      tok.status === 'rejected' ? tok.reason : (mod as PromiseRejectedResult).reason;
    throw new T2LError(
      'missing-file',
      `Cannot load the text encoder from ${source.where}: ${String(err)}`,
      { cause: err },
    );
  });

  const dim = Number((model.config as unknown as { hidden_size?: unknown }).hidden_size);
  if (!Number.isInteger(dim) || dim <= 0) {
    await model.dispose();
    throw new T2LError('bad-config', `Text encoder ${id}: config.json has no valid hidden_size`);
  }

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
    hasRows(hidden, 'last_hidden_state', dim);
    const f32 = hidden.type === 'float32' ? hidden : hidden.to('float32');
    const row = normalizedRow(f32.data as Float32Array, dim);
    for (const t of new Set([...Object.values(out), ...Object.values(inputs), f32])) t?.dispose();
    return row;
  }

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
      await model.dispose();
    },
  };
}
