/**
 * Files whose size and SHA-256 the catalog records (models/catalog.json `files`): a download, or a
 * cached copy, that differs is not the file the catalog was made for, and is never used.
 */
import type { KnownFile } from './protocol';

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** How `bytes` differ from the catalog's record, in words; null when they match. */
export async function differsFromKnown(
  bytes: Uint8Array,
  known: KnownFile,
): Promise<string | null> {
  if (bytes.length !== known.size) {
    return `${bytes.length} bytes where the catalog records ${known.size}`;
  }
  if (known.sha256 !== undefined) {
    const sha = await sha256Hex(bytes);
    if (sha !== known.sha256) {
      return `SHA-256 ${sha.slice(0, 12)}… where the catalog records ${known.sha256.slice(0, 12)}…`;
    }
  }
  return null;
}
