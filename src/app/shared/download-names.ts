/**
 * The file names of every adapter download (Generate, Compare, History, blends): one function, so
 * the views cannot drift apart. A name says what the adapter is for, which hypernetwork made it,
 * and ends in a short tag of its bytes, so two different adapters never share a name and the
 * .zip, .safetensors and .gguf of one adapter share the tag:
 *
 *   t2l-solve-math-word-problems--mistral-7b-t2l-3fa85f64.safetensors
 *   t2l-blend-write-haiku-70-explain-code-30--demo-t2l-l-0c1d2e3f.zip
 */

export type DownloadKind = 'zip' | 'safetensors' | 'gguf';

export interface DownloadNaming {
  /** The adapter's description (for a blend: description A). */
  description: string;
  /** The hypernetwork's name as listed (catalog name or folder). */
  model: string;
  /** A blend of description with `with` at weight `weight` (0..1, B's share). */
  blend?: { with: string; weight: number } | undefined;
  /** The adapter's safetensors bytes: the tag is their FNV-1a hash. */
  safetensors: Uint8Array;
}

/** Lower-case ASCII words joined by '-', at most `max` characters, cut at a word boundary. */
export function slug(text: string, max: number): string {
  const s = text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (s.length <= max) return s;
  const cut = s.slice(0, max + 1);
  const at = cut.lastIndexOf('-');
  return (at > max / 2 ? cut.slice(0, at) : s.slice(0, max)).replace(/-+$/, '');
}

/** 32-bit FNV-1a of the bytes as 8 hex digits (a name tag, not a checksum against tampering). */
export function bytesTag(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** The file name for one download of one adapter. */
export function downloadFileName(n: DownloadNaming, kind: DownloadKind): string {
  const what = n.blend
    ? `blend-${slug(n.description, 20) || 'a'}-${Math.round((1 - n.blend.weight) * 100)}-${slug(n.blend.with, 20) || 'b'}-${Math.round(n.blend.weight * 100)}`
    : slug(n.description, 40) || 'adapter';
  // "Demo T2L-L (random weights)" → "demo-t2l-l"; the parenthesis is a label, not a name.
  const model = slug(n.model.replace(/\s*\([^)]*\)\s*/g, ' '), 24) || 'model';
  return `t2l-${what}--${model}-${bytesTag(n.safetensors)}.${kind}`;
}
