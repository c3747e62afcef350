import { realpathSync, statSync, type Stats } from 'node:fs';
import { lstat, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { T2LError } from '../core/errors';
import { runFolderOf, withRunFolder } from '../core/checkpoint/run-folder';
import type { FileSource } from '../core/files';

/**
 * A folder on disk as a FileSource. Names are files directly in the folder or below it (never
 * `..` or absolute), and only regular files are read: a name that is a folder, a device
 * (/dev/zero), or a FIFO is refused with a T2LError, as is any file-system
 * error (ENOENT, EACCES, EISDIR...), so no read can hang or grow without bound. Links are
 * followed only where they stay inside the folder (resolved with realpath), or, for a Hugging Face
 * cache snapshot (`…/snapshots/<rev>`), inside that repository's `blobs` folder.
 */
export function dirSource(dir: string): FileSource {
  const root = resolve(dir);
  let st: Stats;
  try {
    st = statSync(root);
  } catch (e) {
    throw new T2LError('missing-file', `${dir}: no such folder (${fsReason(e)})`, { cause: e });
  }
  if (!st.isDirectory()) throw new T2LError('missing-file', `${dir}: not a folder`);
  const allowed = allowedRoots(realpathSync(root));
  const pathOf = (name: string) => {
    const path = resolve(root, name);
    if (name === '' || isAbsolute(name) || !path.startsWith(root + sep)) {
      throw new T2LError(
        'bad-input',
        `${dir}: ${JSON.stringify(name)} is not a file name inside the folder`,
      );
    }
    return path;
  };
  return {
    label: dir,
    has: async (name) => {
      try {
        return statSync(pathOf(name)).isFile();
      } catch {
        return false;
      }
    },
    isFolder: async (name) => {
      try {
        return statSync(pathOf(name)).isDirectory();
      } catch {
        return false;
      }
    },
    read: async (name) => {
      const path = pathOf(name);
      try {
        const target = statSync(path);
        if (target.isDirectory()) {
          throw new T2LError('missing-file', `${dir}/${name}: is a folder, expected a file`);
        }
        if (!target.isFile()) {
          throw new T2LError('missing-file', `${dir}/${name}: not a regular file`);
        }
        const real = realpathSync(path);
        if (!allowed.some((r) => real.startsWith(r + sep))) {
          throw new T2LError(
            'bad-input',
            `${dir}/${name}: is a link to ${real}, outside the folder ${allowed[0]}; copy the file into the folder`,
          );
        }
        const buf = await readFile(path);
        return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
      } catch (e) {
        if (e instanceof T2LError) throw e;
        throw new T2LError('missing-file', `${dir}/${name}: cannot be read (${fsReason(e)})`, {
          cause: e,
        });
      }
    },
  };
}

/**
 * Where the files of the folder `real` (a realpath) may live: the folder itself and, for a Hugging
 * Face cache snapshot (models--org--name/snapshots/<rev>, all links into ../../blobs) or a folder
 * inside one, that repository's blobs.
 */
function allowedRoots(real: string): string[] {
  // The folder may be a snapshot or a folder inside one (snapshots/<rev>/trained_t2l/<name>).
  for (let dir = real; dirname(dir) !== dir; dir = dirname(dir)) {
    const parent = dirname(dir);
    if (basename(parent) === 'snapshots') return [real, join(dirname(parent), 'blobs')];
  }
  return [real];
}

/** "ENOENT: no such file or directory" and the like, without the path repeated. */
function fsReason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'ENOENT') return 'no such file';
  if (err?.code === 'EISDIR') return 'a folder, not a file';
  if (err?.code === 'EACCES' || err?.code === 'EPERM') return 'permission denied';
  return err?.code ?? String(err?.message ?? e);
}

/**
 * A model folder given on the command line or to the server: a package, a checkpoint, or a
 * training run's intermediate checkpoint (run/checkpoints/it_N), whose args.yaml and
 * adapter_config.json are read from the run folder where the reference reads them (runFolderOf).
 */
export function modelDirSource(dir: string): FileSource {
  const source = dirSource(dir);
  const run = runFolderOf(dir.replace(/[/\\]+$/, ''));
  if (run === undefined || resolve(run) === resolve(dir)) return source;
  let runSource: FileSource;
  try {
    runSource = dirSource(run);
  } catch {
    return source;
  }
  return withRunFolder(source, runSource);
}

/** Writes a map of relative paths to contents under `dir`, creating folders as needed. */
export async function writeFolder(
  dir: string,
  files: Record<string, Uint8Array | string>,
): Promise<void> {
  await checkWritableFolder(dir);
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    try {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, content);
    } catch (e) {
      throw new T2LError('bad-input', `${path}: cannot be written (${fsReason(e)})`, { cause: e });
    }
  }
}

/**
 * Refuses an output folder that cannot be one before anything is created: a path through a file
 * (`-o README.md/sub`), or under /proc or /sys, where Node's recursive mkdir fails late or loops.
 */
async function checkWritableFolder(dir: string): Promise<void> {
  const abs = resolve(dir);
  if (/^\/(proc|sys)(\/|$)/.test(abs)) {
    throw new T2LError('bad-input', `${dir}: cannot write output under /proc or /sys`);
  }
  // The deepest part of the path that exists must be a folder.
  for (let p = abs; ; p = dirname(p)) {
    const st = await lstat(p).catch(() => undefined);
    if (st) {
      const target = st.isSymbolicLink() ? await stat(p).catch(() => undefined) : st;
      if (!target?.isDirectory()) {
        throw new T2LError('bad-input', `${dir}: not a folder (${p} is a file)`);
      }
      return;
    }
    if (dirname(p) === p) return;
  }
}
