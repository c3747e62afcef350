/**
 * The model catalog (models/catalog.json): data, not code. Entries name where a hypernetwork is (a
 * Hub repo path or a URL, relative to the app) and which text encoder it needs.
 */
import type { EncoderDtype } from '../../core/encoder/dtype';
import type { EncoderSource, ModelSource } from '../worker/protocol';
import { checkBaseGguf, type BaseGguf } from './base-models';

export type SourceFormat = 'checkpoint' | 'package' | 'auto';

export interface CatalogSource {
  kind: SourceFormat;
  /** Hugging Face repo id, with `path` inside it. */
  hub?: string;
  path?: string;
  revision?: string;
  /** Or a folder URL, absolute or relative to the app. */
  url?: string;
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
  url?: string;
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

function fail(why: string): never {
  throw new Error(`models/catalog.json: ${why}`);
}

/** Parses and checks the catalog; problems name the entry. */
export function parseCatalog(json: unknown): Catalog {
  const c = json as Partial<Catalog> | null;
  if (!c || typeof c !== 'object' || !Array.isArray(c.models)) fail('expected { "models": [...] }');
  const ids = new Set<string>();
  for (const [i, m] of c.models.entries()) {
    const where = `models[${i}]`;
    for (const k of ['id', 'name', 'baseModel'] as const) {
      if (typeof m?.[k] !== 'string' || !m[k]) fail(`${where}.${k} must be a non-empty string`);
    }
    if (ids.has(m.id)) fail(`${where}: duplicate id ${m.id}`);
    ids.add(m.id);
    const s = m.source;
    if (!s || !['checkpoint', 'package', 'auto'].includes(s.kind)) {
      fail(`${where}.source.kind must be checkpoint, package or auto`);
    }
    if (!s.url && !(s.hub && s.path !== undefined))
      fail(`${where}.source needs url, or hub + path`);
    checkBaseGguf(m.baseGguf, where);
  }
  return { models: c.models, encoders: c.encoders ?? {} };
}

const appBase = () => new URL(import.meta.env.BASE_URL, location.href);

export function hubUrl(repo: string, path: string, revision = 'main'): string {
  const clean = path.replace(/^\/+|\/+$/g, '');
  return `https://huggingface.co/${repo}/resolve/${encodeURIComponent(revision)}/${clean ? `${clean}/` : ''}`;
}

/** The absolute folder URL of an entry's files. */
export function sourceUrl(source: CatalogSource): string {
  if (source.url) {
    const url = new URL(source.url, appBase()).href;
    return url.endsWith('/') ? url : `${url}/`;
  }
  return hubUrl(source.hub!, source.path ?? '', source.revision);
}

/** Where the files come from, in words: "huggingface.co/…", a host, or "bundled with this app". */
export function sourceHost(source: CatalogSource): string {
  if (source.hub) return `huggingface.co/${source.hub}/${source.path ?? ''}`.replace(/\/$/, '');
  const url = new URL(sourceUrl(source));
  return url.origin === location.origin ? `bundled with this app` : url.host + url.pathname;
}

export function remoteModelName(entry: CatalogEntry): string {
  if (entry.remoteModel) return entry.remoteModel;
  const path = entry.source.url ?? entry.source.path ?? '';
  return path.replace(/\/+$/, '').split('/').pop() || entry.name;
}

export function toModelSource(entry: CatalogEntry): ModelSource {
  return {
    kind: 'url',
    format: entry.source.kind,
    url: sourceUrl(entry.source),
    label: entry.name,
  };
}

export function encoderTable(catalog: Catalog): Record<string, EncoderSource> {
  const out: Record<string, EncoderSource> = {};
  for (const [id, e] of Object.entries(catalog.encoders)) {
    const dtypes = e.dtypes ? { dtypes: e.dtypes } : {};
    if (e.url) out[id] = { kind: 'url', url: new URL(e.url, appBase()).href, ...dtypes };
    else out[id] = { kind: 'hub', model: e.hub ?? id, ...dtypes };
  }
  return out;
}

/**
 * What a user typed as a model location: a full URL of a folder, a URL of its t2l.json or
 * hypermod.pt, or "owner/repo/path/inside" on the Hugging Face Hub.
 */
export function entryFromInput(input: string): CatalogEntry {
  const text = input.trim();
  if (!text) throw new Error('Enter a folder URL or a Hugging Face path (owner/repo/folder).');
  let source: CatalogSource;
  if (/^https?:\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new Error(`Not a valid URL: ${text}`);
    }
    url.pathname = url.pathname.replace(/\/(t2l\.json|model\.onnx|hypermod\.pt)$/, '/');
    source = { kind: 'auto', url: url.href };
  } else {
    const parts = text
      .replace(/^hf:\/\//, '')
      .split('/')
      .filter(Boolean);
    if (parts.length < 2)
      throw new Error('A Hub location is owner/repo, optionally /folder/inside.');
    source = { kind: 'auto', hub: `${parts[0]}/${parts[1]}`, path: parts.slice(2).join('/') };
  }
  const name = text.replace(/^https?:\/\//, '').replace(/\/+$/, '');
  return {
    id: `url:${sourceUrl(source)}`,
    name: name.length > 60 ? `…${name.slice(-58)}` : name,
    baseModel: 'read from the package',
    description: `Opened from ${text}`,
    source,
  };
}
