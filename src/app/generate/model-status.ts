/** Facts about a catalog entry for the picker: is it cached, where does it come from. */
import type { CachedFileInfo } from '../shared/file-cache';
import { sourceUrl, type CatalogEntry } from '../shared/catalog';
import { LOCAL_ID } from '../shared/catalog-store';

/** True when the entry's hypernetwork is in the cache (as downloaded, or as converted). */
export function isCached(entry: CatalogEntry, cached: CachedFileInfo[]): boolean {
  if (entry.id === LOCAL_ID) return false;
  const url = sourceUrl(entry.source);
  // Converted packages are keyed by URL and precision: ".../__t2l-converted/<url>%23q4/...".
  const converted = `/__t2l-converted/${encodeURIComponent(url)}`;
  return cached.some((c) => c.url.startsWith(url) || c.url.includes(converted));
}

export type EntryGroup = 'official' | 'demo' | 'yours';

export function groupOf(entry: CatalogEntry): EntryGroup {
  if (entry.demo) return 'demo';
  // Added by the user (even a path inside the official repository): listed where it was added.
  if (entry.id.startsWith('url:')) return 'yours';
  if (entry.source.hub === 'SakanaAI/text-to-lora') return 'official';
  return 'yours';
}
