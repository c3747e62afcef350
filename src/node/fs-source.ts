import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { T2LError } from '../core/errors';
import type { FileSource } from '../core/files';

/** A folder on disk as a FileSource. */
export function dirSource(dir: string): FileSource {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new T2LError('missing-file', `${dir}: no such folder`);
  }
  return {
    label: dir,
    has: async (name) => existsSync(join(root, name)),
    read: async (name) => {
      const path = join(root, name);
      if (!existsSync(path)) throw new T2LError('missing-file', `${dir}: missing file ${name}`);
      const buf = await readFile(path);
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    },
  };
}

/** Writes a map of relative paths to contents under `dir`, creating folders as needed. */
export async function writeFolder(
  dir: string,
  files: Record<string, Uint8Array | string>,
): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
  }
}
