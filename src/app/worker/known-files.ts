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
