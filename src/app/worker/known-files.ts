/**
 * Files whose size and SHA-256 the catalog records (models/catalog.json `files`): a download, or a
 * cached copy, that differs is not the file the catalog was made for, and is never used. The
 * comparison is the one a Hub record gets (core/hub/model-info.ts), worded for the catalog.
 */
import { differsFromHubRecord } from '../../core/hub/model-info';
import { measured } from '../../runtime/marks';
import type { KnownFile } from './protocol';

/** How `bytes` differ from the catalog's record, in words; null when they match. */
export function differsFromKnown(bytes: Uint8Array, known: KnownFile): Promise<string | null> {
  return measured('known-hash', () => differsFromHubRecord(bytes, known, 'the catalog'));
}

/**
 * True when a cache hit is the catalog's file without hashing it again: readCached has checked the
 * bytes against the SHA-256 stored with them, so a stored hash equal to the catalog's (and the
 * same size) proves the match.
 */
export function storedHashIsKnown(
  stored: { sha256: string },
  size: number,
  known: KnownFile | undefined,
): boolean {
  return known?.sha256 !== undefined && known.sha256 === stored.sha256 && known.size === size;
}
