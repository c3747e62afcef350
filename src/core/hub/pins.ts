/**
 * The catalog's pinned Hub commits: which commit a repository's files are fetched at when a Hub
 * path names none (the official models, their encoder and base GGUFs). Pure: the CLI reads
 * models/catalog.json, the page its parsed catalog.
 */
import { isCommit } from './endpoint';

/** The part of models/catalog.json that names Hub repositories and their revisions. */
export interface CatalogPins {
  encoders: Record<string, { hub?: string; revision?: string; url?: string }>;
  models: {
    id: string;
    demo?: boolean;
    encoder?: string;
    source: { hub?: string; path?: string; revision?: string };
    baseGguf?: { hub?: string; file?: string; revision?: string };
  }[];
}

const clean = (p: string | undefined) => (p ?? '').replace(/^\/+|\/+$/g, '');

/**
 * The commit the catalog pins `repo` to: the entry whose folder or file is `path` first, then any
 * entry, encoder or base GGUF of the same repository. Undefined when the catalog pins none (a
 * branch name such as `main` is no pin).
 */
export function catalogPin(catalog: CatalogPins, repo: string, path = ''): string | undefined {
  const pins: { hub?: string; path?: string; revision?: string }[] = [];
  for (const m of catalog.models) {
    pins.push(m.source);
    if (m.baseGguf) pins.push({ ...m.baseGguf, path: m.baseGguf.file });
  }
  for (const [id, e] of Object.entries(catalog.encoders)) {
    if (!e.url) pins.push({ hub: e.hub ?? id, path: '', revision: e.revision });
  }
  const ok = pins.filter((p) => p.hub === repo && p.revision !== undefined && isCommit(p.revision));
  return (ok.find((p) => clean(p.path) === clean(path)) ?? ok[0])?.revision;
}
