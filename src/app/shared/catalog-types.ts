/**
 * The catalog's types (models/catalog.json), apart from catalog.ts so that the settings store can
 * name CatalogEntry without importing catalog.ts, which reads the settings store: no import circle.
 */
import type { EncoderDtype } from '../../core/encoder/dtype';
import type { KnownFile } from '../worker/protocol';
import type { BaseGguf } from './base-gguf';

export type SourceFormat = 'checkpoint' | 'package' | 'auto';

export interface CatalogSource {
  kind: SourceFormat;
  /** Hugging Face repo id, with `path` inside it. */
  hub?: string;
  path?: string;
  /** The Hub commit (40 hex digits) the files are fetched at; required for Hub entries. */
  revision?: string;
  /** Or a folder URL, absolute or relative to the app. */
  url?: string;
  /** Published sizes and hashes of files inside the folder, by path; downloads are checked. */
  files?: Record<string, KnownFile>;
}

export interface CatalogEntry {
  id: string;
  name: string;
  baseModel: string;
  description: string;
  source: CatalogSource;
  /** Encoder id (a key of the catalog's encoders, or a Hub model id). */
  encoder?: string;
  /** Approximate download size in bytes. */
  size?: number;
  /** Random-weight models for trying the app offline. */
  demo?: boolean;
  /** Too big for most browsers: use the remote backend when one is configured. */
  remoteFirst?: boolean;
  /** Its name on a remote server; by default the folder's name, as `t2l serve` names models. */
  remoteModel?: string;
  /** The base model's GGUF, for trying adapters in the page (base-models.ts). */
  baseGguf?: BaseGguf;
}

export interface CatalogEncoder {
  hub?: string;
  /** The Hub commit (40 hex digits) the encoder is fetched at; required for Hub encoders. */
  revision?: string;
  url?: string;
  /** Published sizes and hashes of its files, by path inside the repo or folder (onnx/model.onnx). */
  files?: Record<string, KnownFile>;
  size?: number;
  /** Download size in bytes of the files loaded at each dtype (config, tokenizer, one onnx file). */
  sizes?: Partial<Record<EncoderDtype, number>>;
  /** transformers.js dtypes the folder has (onnx/model.onnx = fp32, model_fp16, model_quantized = q8, model_q4). */
  dtypes?: EncoderDtype[];
}

export interface Catalog {
  models: CatalogEntry[];
  encoders: Record<string, CatalogEncoder>;
}
