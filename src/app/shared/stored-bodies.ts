/**
 * The bytes of large cached files, kept in the origin private file system (OPFS) rather than in
 * Cache Storage; file-cache.ts keeps every file's metadata (size, SHA-256, group) in Cache Storage
 * either way and names the OPFS file there.
 *
 * Why: on a return visit the text encoder's 440 MB graph (gte-large-en-v1.5 q8) took 5.8 s to read
 * back from Cache Storage in Chromium, and that read sat on the path to the first adapter; a
 * worker reads the OPFS file through a synchronous access handle straight into one buffer in
 * about 1.6 s (docs/benchmarks.md).
 *
 * Reads and writes run in the app's workers (sync access handles exist only there); the page
 * only lists and deletes.
 */

import { sha256Hex } from '../../core/digest';

/** Bodies smaller than this stay in Cache Storage: reading them back costs next to nothing. */
export const OPFS_MIN_BYTES = 512 * 1024;

const DIR = 't2l-files-v1';
/**
 * A synchronous read holds its thread; between chunks it lets other tasks run, among them the
 * start of a worker this thread spawned just before (the text encoder's needs its parent's event
 * loop to load) and messages from the page.
 */
const READ_CHUNK = 32 * 1024 * 1024;

/** Lets queued tasks of this thread run (a macrotask turn, not a microtask). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** The part of FileSystemSyncAccessHandle used here (TypeScript's DOM lib lacks it). */
interface SyncHandle {
  read(buffer: Uint8Array, options: { at: number }): number;
  write(buffer: Uint8Array, options: { at: number }): number;
  truncate(size: number): void;
  getSize(): number;
  flush(): void;
  close(): void;
}
type SyncOpener = (options?: { mode: 'read-only' | 'readwrite' }) => Promise<SyncHandle>;

function syncOpener(file: FileSystemFileHandle): SyncOpener | null {
  const open = (file as unknown as { createSyncAccessHandle?: SyncOpener }).createSyncAccessHandle;
  return typeof open === 'function' ? open.bind(file) : null;
}

/**
 * Opens the origin's OPFS root (navigator.storage.getDirectory); null where this context has no
 * OPFS. The one place that asks whether OPFS is here.
 */
function opfsRoot(): (() => Promise<FileSystemDirectoryHandle>) | null {
  const storage = typeof navigator === 'undefined' ? undefined : navigator.storage;
  return typeof storage?.getDirectory === 'function' ? () => storage.getDirectory() : null;
}

/** True where this context can write bodies (a worker with OPFS sync access handles). */
export function canStoreBodies(): boolean {
  return (
    opfsRoot() !== null &&
    typeof (globalThis as { FileSystemSyncAccessHandle?: unknown }).FileSystemSyncAccessHandle ===
      'function'
  );
}

async function directory(create: boolean): Promise<FileSystemDirectoryHandle | null> {
  const root = opfsRoot();
  if (!root) return null;
  try {
    return await (await root()).getDirectoryHandle(DIR, { create });
  } catch {
    return null;
  }
}

/** The OPFS file name for a cache key: its SHA-256 in hex (keys are URLs of any length). */
export function bodyNameOf(key: string): Promise<string> {
  return sha256Hex(new TextEncoder().encode(key));
}

/**
 * Writes `bytes` as the body `name`. Returns false, leaving no partial file, when OPFS is not
 * available here or refuses the write (quota): the caller then keeps the body in Cache Storage or
 * not at all.
 */
export async function writeBody(name: string, bytes: Uint8Array): Promise<boolean> {
  const dir = canStoreBodies() ? await directory(true) : null;
  if (!dir) return false;
  let handle: SyncHandle | null = null;
  try {
    const file = await dir.getFileHandle(name, { create: true });
    handle = await syncOpener(file)!();
    handle.truncate(0);
    let at = 0;
    while (at < bytes.length) at += handle.write(bytes.subarray(at), { at });
    handle.flush();
    return true;
  } catch {
    handle?.close();
    handle = null;
    await dir.removeEntry(name).catch(() => undefined);
    return false;
  } finally {
    handle?.close();
  }
}

/**
 * The whole body `name`, which must be `size` bytes (the size its entry records: checked before
 * anything is allocated), in one buffer: through a sync access handle in a worker (read-only
 * mode, so another reader does not lock it out), a Blob read elsewhere. Throws when it is missing,
 * has another size, or cannot be read.
 */
export async function readBody(name: string, size: number): Promise<Uint8Array> {
  const dir = await directory(false);
  if (!dir) throw new Error('the browser storage folder is missing');
  const file = await dir.getFileHandle(name);
  const otherSize = (found: number) => new Error(`${found} bytes instead of ${size}`);
  const open = syncOpener(file);
  if (!open) {
    const blob = await file.getFile();
    if (blob.size !== size) throw otherSize(blob.size);
    return new Uint8Array(await blob.arrayBuffer());
  }
  const handle = await open({ mode: 'read-only' });
  try {
    if (handle.getSize() !== size) throw otherSize(handle.getSize());
    const bytes = new Uint8Array(size);
    for (let at = 0; at < bytes.length;) {
      const n = handle.read(bytes.subarray(at, at + READ_CHUNK), { at });
      if (n <= 0) throw new Error(`it ended after ${at} of ${bytes.length} bytes`);
      at += n;
      await yieldToEventLoop();
    }
    return bytes;
  } finally {
    handle.close();
  }
}

/** The names of the files in the bodies' folder (TypeScript's DOM lib lacks its `keys()`). */
async function bodyFiles(dir: FileSystemDirectoryHandle): Promise<string[]> {
  const names: string[] = [];
  for await (const name of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) {
    names.push(name);
  }
  return names;
}

/** The Web Lock a body's writer holds (every tab of the origin sees it): `t2l-body:<name>`. */
export const bodyLockName = (name: string): string => `t2l-body:${name}`;

function lockManager(): LockManager | null {
  const locks = typeof navigator === 'undefined' ? undefined : navigator.locks;
  return typeof locks?.request === 'function' ? locks : null;
}

/**
 * Runs `write` holding the body's lock (Web Locks, shared by the origin's tabs and workers), so
 * that a sweep (sweepBodies) never takes a body whose entry is still being written for an orphan.
 * Without Web Locks it runs `write` as it is.
 */
export async function withBodyLock<T>(name: string, write: () => Promise<T>): Promise<T> {
  const locks = lockManager();
  return locks ? locks.request(bodyLockName(name), write) : write();
}

/**
 * Removes the bodies no cache entry names: those of a write cut off (a tab closed between the
 * body and its entry) and those a Clear could not remove because another tab had them open, which
 * would otherwise take disk space the Cache view does not show. `listed()` gives the body names
 * the entries hold; it is asked again for each unlisted body with that body's lock taken (only
 * when free: a write in progress keeps its body), so an entry written meanwhile keeps its body. A
 * body another tab is reading cannot be removed and is left for a later sweep. Returns the names
 * removed.
 */
export async function sweepBodies(listed: () => Promise<Set<string>>): Promise<string[]> {
  const dir = await directory(false);
  if (!dir) return [];
  const names = await bodyFiles(dir);
  const known = await listed();
  const removed: string[] = [];
  const locks = lockManager();
  for (const name of names.filter((n) => !known.has(n))) {
    const remove = async () => {
      if ((await listed()).has(name)) return;
      await dir.removeEntry(name).then(
        () => removed.push(name),
        () => undefined,
      );
    };
    if (!locks) await remove();
    else {
      await locks.request(bodyLockName(name), { ifAvailable: true }, (lock) =>
        lock ? remove() : undefined,
      );
    }
  }
  return removed;
}

/** Removes bodies; missing ones are fine. */
export async function removeBodies(names: string[]): Promise<void> {
  const dir = await directory(false);
  if (dir) await Promise.all(names.map((n) => dir.removeEntry(n).catch(() => undefined)));
}

/**
 * Removes every body (the Cache view's "Clear"), one file at a time: a body another tab has open
 * cannot be removed and stays (the folder's recursive removal failed whole then, keeping them all);
 * a later sweep (sweepBodies) removes it once its entry is gone.
 */
export async function clearBodies(): Promise<void> {
  const dir = await directory(false);
  if (!dir) return;
  const names = await bodyFiles(dir);
  await removeBodies(names);
}
