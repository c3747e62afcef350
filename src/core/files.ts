import { T2LError } from './errors';

/**
 * A folder of files, wherever it lives: a directory on disk (Node), files a user picked or dropped,
 * or a base URL. Checkpoint and package loading only ever see this interface.
 */
export interface FileSource {
  /** Shown in error messages, e.g. the folder path or URL. */
  readonly label: string;
  /** True when the file exists. */
  has(name: string): Promise<boolean>;
  /** The whole file; rejects with a T2LError('missing-file') naming the file when absent. */
  read(name: string): Promise<Uint8Array>;
}

/** An in-memory folder: tests, drag-and-drop, and conversions that already hold the bytes. */
export function memorySource(label: string, files: Record<string, Uint8Array | string>): FileSource {
  const enc = new TextEncoder();
  return {
    label,
    has: async (name) => name in files,
    read: async (name) => {
      const f = files[name];
      if (f === undefined) {
        throw new T2LError('missing-file', `${label}: missing file ${name}`);
      }
      return typeof f === 'string' ? enc.encode(f) : f;
    },
  };
}

export function decodeText(bytes: Uint8Array): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
}
