/** A folder of files as one .zip download, and back. */
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { T2LError } from '../errors';

// Float tensors barely compress; storing them keeps zipping a multi-MB adapter instant.
const STORED = /\.(safetensors|gguf|onnx|bin|pt)$/i;

/**
 * The files as one zip (names relative to the folder, '/'-separated), optionally all under
 * `folder/`, so unzipping gives that folder. Tensor files are stored, text deflated.
 */
export function zipFolder(
  files: Record<string, Uint8Array | string>,
  options: { folder?: string } = {},
): Uint8Array {
  const enc = new TextEncoder();
  const prefix = options.folder ? `${options.folder.replace(/\/+$/, '')}/` : '';
  const entries: Zippable = {};
  for (const [name, content] of Object.entries(files)) {
    // Text and entry names as well-formed UTF-8: a lone surrogate becomes U+FFFD.
    const data = typeof content === 'string' ? enc.encode(content.toWellFormed()) : content;
    entries[(prefix + name).toWellFormed()] = [data, { level: STORED.test(name) ? 0 : 6 }];
  }
  return zipSync(entries);
}

/** The files of a .zip by their full path inside it; directory entries are dropped. */
export function unzipFolder(bytes: Uint8Array, label = 'archive.zip'): Record<string, Uint8Array> {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (e) {
    throw new T2LError('bad-zip', `${label}: not a readable zip archive (${String(e)})`, {
      cause: e,
    });
  }
  const files: Record<string, Uint8Array> = {};
  for (const [name, data] of Object.entries(entries)) {
    if (!name.endsWith('/')) files[name] = data;
  }
  return files;
}
