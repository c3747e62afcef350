/**
 * Base models are data: each catalog entry names its base model's GGUF (`baseGguf`: a Hub repo and
 * file at a revision, or a URL), with its size, so the Try panel can say what a download costs and
 * whether this device can hold it before fetching anything. Users bring their own GGUF too: a URL,
 * a Hub path (owner/repo/file.gguf) or a file from disk.
 */
import type { BaseSource } from '../../worker/llm-protocol';
import { currentHubEndpoint, type CatalogEntry } from '../catalog';
import type { BaseGguf } from '../base-gguf';
import { hubResolveUrl, sendsTokenTo } from '../hub-endpoint';

// The catalog's field and its check live in base-gguf.ts so that catalog.ts need not import this file
// (which imports the catalog's types): no import circle.
export { checkBaseGguf, type BaseGguf } from '../base-gguf';

/** A base the Try panel can load: from the catalog, or the user's own. */
export interface BaseChoice {
  /** Stable key: the file's URL, or "file:<name>" for a file from disk. */
  id: string;
  /** e.g. "Gemma-2-2B-it · Q4_K_M". */
  label: string;
  /** Bytes, when known before downloading. */
  size: number | null;
  gated: boolean;
  note: string;
  /** For the header check's message: the base model the catalog says (e.g. google/gemma-2-2b-it). */
  baseModel: string | null;
  source: { kind: 'url'; url: string; name: string } | { kind: 'file'; file: File };
}

const appBase = () => new URL(import.meta.env.BASE_URL, location.href);

/** The Hub's download URL of a file at a revision, on the endpoint in force. */
export function hubFileUrl(
  repo: string,
  file: string,
  revision = 'main',
  endpoint = currentHubEndpoint(),
): string {
  return hubResolveUrl(endpoint, repo, revision, file);
}

export function ggufUrl(b: BaseGguf, endpoint = currentHubEndpoint()): string {
  return b.url ? new URL(b.url, appBase()).href : hubFileUrl(b.hub!, b.file!, b.revision, endpoint);
}

function shortName(entry: CatalogEntry): string {
  return entry.baseModel.split('/').pop() || entry.baseModel;
}

/** The catalog's bases, one per distinct file, the selected entry's first. */
export function catalogBases(entries: CatalogEntry[], first?: CatalogEntry | null): BaseChoice[] {
  const ordered = first ? [first, ...entries.filter((e) => e !== first)] : entries;
  const out: BaseChoice[] = [];
  for (const e of ordered) {
    const b = e.baseGguf;
    if (!b) continue;
    const url = ggufUrl(b);
    if (out.some((c) => c.id === url)) continue;
    const name = url.split('/').pop()!;
    out.push({
      id: url,
      label: `${shortName(e)}${b.quantization ? ` · ${b.quantization}` : ''}${e.demo ? ' (demo)' : ''}`,
      size: b.size,
      gated: b.gated ?? false,
      note: b.note ?? '',
      baseModel: e.baseModel,
      source: { kind: 'url', url, name: decodeURIComponent(name) },
    });
  }
  return out;
}

/**
 * The user's own GGUF: an http(s) URL of a .gguf file, or owner/repo/path/file.gguf on the Hub
 * (optionally hf://…, or …@revision after the repo).
 */
export function baseFromInput(input: string): BaseChoice {
  const text = input.trim();
  if (!text) throw new Error('Enter the URL of a .gguf file, or owner/repo/file.gguf on the Hub.');
  let url: string;
  if (/^https?:\/\//i.test(text)) {
    try {
      url = new URL(text).href;
    } catch {
      throw new Error(`Not a valid URL: ${text}`);
    }
  } else {
    const parts = text
      .replace(/^hf:\/\//, '')
      .split('/')
      .filter(Boolean);
    if (parts.length < 3) throw new Error('A Hub file is owner/repo/file.gguf.');
    const [repoName, revision] = parts[1]!.split('@') as [string, string | undefined];
    url = hubFileUrl(`${parts[0]}/${repoName}`, parts.slice(2).join('/'), revision);
  }
  const name = decodeURIComponent(new URL(url).pathname.split('/').pop() || 'model.gguf');
  if (!/\.gguf$/i.test(name)) throw new Error(`${name}: expected a .gguf file`);
  return {
    id: url,
    label: name,
    size: null,
    gated: false,
    note: 'Your own GGUF.',
    baseModel: null,
    source: { kind: 'url', url, name },
  };
}

export function baseFromFile(file: File): BaseChoice {
  return {
    id: `file:${file.name}:${file.size}:${file.lastModified}`,
    label: file.name,
    size: file.size,
    gated: false,
    note: 'From this computer; not copied or cached.',
    baseModel: null,
    source: { kind: 'file', file },
  };
}

/** What the LLM worker gets: the token goes along only for files on the Hub endpoint in force. */
export function toBaseSource(
  choice: BaseChoice,
  hfToken: string,
  endpoint = currentHubEndpoint(),
): BaseSource {
  if (choice.source.kind === 'file') {
    return { kind: 'file', name: choice.source.file.name, blob: choice.source.file };
  }
  const { url, name } = choice.source;
  return {
    kind: 'url',
    url,
    name,
    cacheGroup: `Base model · ${choice.label}`,
    ...(hfToken && sendsTokenTo(url, endpoint) ? { hfToken, hubEndpoint: endpoint } : {}),
  };
}
