/**
 * The model catalog (models/catalog.json): data, not code. Entries name where a hypernetwork is (a
 * Hub repo path or a URL, relative to the app) and which text encoder it needs.
 */
import type { EncoderSource, KnownFile, ModelSource } from '../worker/protocol';
import type { Catalog, CatalogEntry, CatalogSource } from './catalog-types';
import { useSettings } from './settings-store';
import { checkBaseGguf } from './base-gguf';
import { hubEndpointFor, hubEndpointName, hubResolveUrl, isPublicHub } from './hub-endpoint';

export type {
  Catalog,
  CatalogEncoder,
  CatalogEntry,
  CatalogSource,
  SourceFormat,
} from './catalog-types';

function fail(why: string): never {
  throw new Error(`models/catalog.json: ${why}`);
}

/** A Hub commit: a branch or tag could move under the catalog and silently change the adapters. */
const COMMIT = /^[0-9a-f]{40}$/;

function checkRevision(revision: unknown, where: string, repo: string): void {
  if (typeof revision !== 'string' || !COMMIT.test(revision)) {
    fail(
      `${where}.revision must pin a commit of ${repo} (40 hex digits), not ${JSON.stringify(revision ?? null)}: a branch or tag can change under the catalog`,
    );
  }
}

function checkFiles(files: unknown, where: string): void {
  if (files === undefined) return;
  if (!files || typeof files !== 'object') fail(`${where} must map file paths to {size, sha256}`);
  for (const [path, f] of Object.entries(files as Record<string, Partial<KnownFile> | null>)) {
    if (!Number.isInteger(f?.size) || f!.size! < 0) {
      fail(`${where}["${path}"].size must be a whole number of bytes`);
    }
    if (f!.sha256 !== undefined && !/^[0-9a-f]{64}$/.test(f!.sha256)) {
      fail(`${where}["${path}"].sha256 must be 64 hex digits`);
    }
  }
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
    if (s.hub) checkRevision(s.revision, `${where}.source`, s.hub);
    checkFiles(s.files, `${where}.source.files`);
    checkBaseGguf(m.baseGguf, where);
  }
  const encoders = c.encoders ?? {};
  for (const [id, e] of Object.entries(encoders)) {
    const where = `encoders["${id}"]`;
    if (!e.url) checkRevision(e.revision, where, e.hub ?? id);
    checkFiles(e.files, `${where}.files`);
  }
  return { models: c.models, encoders };
}

const appBase = () => new URL(import.meta.env.BASE_URL, location.href);

/** The Hub endpoint in force (Settings; the public Hub by default). */
export const currentHubEndpoint = (): string => hubEndpointFor(useSettings.getState().hubEndpoint);

/**
 * What a worker request carries for Hub access: the token (sent by the worker only to the
 * endpoint) and the endpoint when it is not the public Hub.
 */
export function hubAccess(settings: { hfToken: string; hubEndpoint: string }): {
  hfToken?: string;
  hubEndpoint?: string;
} {
  const endpoint = hubEndpointFor(settings.hubEndpoint);
  return {
    ...(settings.hfToken ? { hfToken: settings.hfToken } : {}),
    ...(isPublicHub(endpoint) ? {} : { hubEndpoint: endpoint }),
  };
}

/** The folder URL of `path` in a Hub repository at `revision`, on the endpoint in force. */
export function hubUrl(
  repo: string,
  path: string,
  revision = 'main',
  endpoint = currentHubEndpoint(),
): string {
  const clean = path.replace(/^\/+|\/+$/g, '');
  return hubResolveUrl(endpoint, repo, revision, clean ? `${clean}/` : '');
}

/** The absolute folder URL of an entry's files. */
export function sourceUrl(source: CatalogSource): string {
  if (source.url) {
    const url = new URL(source.url, appBase()).href;
    return url.endsWith('/') ? url : `${url}/`;
  }
  return hubUrl(source.hub!, source.path ?? '', source.revision);
}

/**
 * Where the files come from, in words: "huggingface.co/…" (or the Hub endpoint in force), a host,
 * or "bundled with this app".
 */
export function sourceHost(source: CatalogSource): string {
  if (source.hub) {
    const hub = hubEndpointName(currentHubEndpoint());
    return `${hub}/${source.hub}/${source.path ?? ''}`.replace(/\/$/, '');
  }
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

export function encoderTable(
  catalog: Catalog,
  endpoint = currentHubEndpoint(),
): Record<string, EncoderSource> {
  const out: Record<string, EncoderSource> = {};
  for (const [id, e] of Object.entries(catalog.encoders)) {
    const dtypes = e.dtypes ? { dtypes: e.dtypes } : {};
    if (e.url) out[id] = { kind: 'url', url: new URL(e.url, appBase()).href, ...dtypes };
    else
      out[id] = {
        kind: 'hub',
        model: e.hub ?? id,
        ...(e.revision ? { revision: e.revision } : {}),
        ...(isPublicHub(endpoint) ? {} : { endpoint }),
        ...dtypes,
      };
  }
  return out;
}

/** The Hub commit a catalog encoder is pinned to (none for folders and unknown encoders). */
export function encoderRevision(catalog: Catalog, id: string | undefined): string | undefined {
  const e = id === undefined ? undefined : catalog.encoders[id];
  return e && !e.url ? e.revision : undefined;
}

/**
 * The files whose size and hash the catalog records, by the URL they are downloaded from: the
 * entry's own (a local folder has none) and every encoder's. The worker's downloader checks them.
 */
export function knownFiles(catalog: Catalog, entry?: CatalogEntry): Record<string, KnownFile> {
  const out: Record<string, KnownFile> = {};
  const add = (folder: string, files: Record<string, KnownFile> | undefined) => {
    const root = folder.endsWith('/') ? folder : `${folder}/`;
    for (const [path, f] of Object.entries(files ?? {})) out[root + path.replace(/^\/+/, '')] = f;
  };
  if (entry?.source.files) add(sourceUrl(entry.source), entry.source.files);
  for (const [id, e] of Object.entries(catalog.encoders)) {
    if (!e.files) continue;
    add(e.url ? new URL(e.url, appBase()).href : hubUrl(e.hub ?? id, '', e.revision), e.files);
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
