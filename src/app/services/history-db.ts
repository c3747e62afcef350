/**
 * The history of generated adapters in IndexedDB (through `idb`): one small record per adapter
 * for the list, and its bytes (safetensors and the PEFT zip, exactly as first offered) in a second
 * store, so listing never reads megabytes. Writes check the storage quota first and turn a full
 * disk into a HistoryQuotaError the page explains; nothing is dropped without saying so.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { SharedSettings } from './share-link';
import type { GenerateResult, Timings } from '../worker/protocol';

export interface HistoryEntry {
  id: number;
  createdAt: number;
  description: string;
  /** Catalog id (for the share link) and the name shown. */
  modelId: string;
  modelName: string;
  baseModel: string;
  variant: string;
  precision: string;
  backend: string;
  dtype: string;
  timings: Timings;
  /** File name stem of the downloads. */
  stem: string;
  sizes: { safetensors: number; zip: number; gguf?: number };
  /** What the result card showed (model facts, backend, where from), to reopen it. */
  card?: HistoryCard;
  /** The settings that reproduce it (for the share link). */
  settings: SharedSettings;
  blend?: { with: string; weight: number };
}

export type NewHistoryEntry = Omit<HistoryEntry, 'id'>;

/** The result card's facts, without the adapter bytes (those are in the files store). */
export type HistoryCard = Partial<Pick<GenerateResult, 'location' | 'loadNotes' | 'files'>> &
  Pick<GenerateResult, 'model' | 'backend' | 'timings'> & {
    ggufNote?: string;
    revision?: string;
  };

export interface HistoryFiles {
  id: number;
  safetensors: Uint8Array;
  zip: Uint8Array;
  /** Absent in entries stored before GGUF was kept, null where none could be made. */
  gguf?: Uint8Array | null;
}

interface HistorySchema extends DBSchema {
  entries: { key: number; value: HistoryEntry; indexes: { createdAt: number } };
  files: { key: number; value: HistoryFiles };
}

export const HISTORY_DB = 't2l-history';

/** Storage full (by the quota estimate, or the browser refused the write). */
export class HistoryQuotaError extends Error {
  constructor(
    message: string,
    readonly needed: number,
    readonly available: number | null,
  ) {
    super(message);
    this.name = 'HistoryQuotaError';
  }
}

let db: Promise<IDBPDatabase<HistorySchema>> | null = null;

function open(): Promise<IDBPDatabase<HistorySchema>> {
  db ??= openDB<HistorySchema>(HISTORY_DB, 1, {
    upgrade(d) {
      const entries = d.createObjectStore('entries', { keyPath: 'id', autoIncrement: true });
      entries.createIndex('createdAt', 'createdAt');
      d.createObjectStore('files', { keyPath: 'id' });
    },
  });
  return db;
}

/** Bytes the origin may still use, or null when the browser does not say. */
export async function storageAvailable(): Promise<{
  usage: number;
  quota: number;
  free: number;
} | null> {
  const estimate = await globalThis.navigator?.storage?.estimate?.().catch(() => null);
  if (!estimate || typeof estimate.quota !== 'number') return null;
  const usage = estimate.usage ?? 0;
  return { usage, quota: estimate.quota, free: Math.max(0, estimate.quota - usage) };
}

const isQuotaError = (e: unknown) =>
  e instanceof DOMException && (e.name === 'QuotaExceededError' || e.code === 22);

const mb = (n: number) => `${(n / 1e6).toFixed(n < 1e7 ? 1 : 0)} MB`;

/** Adds one adapter; throws HistoryQuotaError when it does not fit. */
export async function addHistoryEntry(
  entry: NewHistoryEntry,
  files: { safetensors: Uint8Array; zip: Uint8Array; gguf?: Uint8Array | null },
): Promise<HistoryEntry> {
  // The record, the files and IndexedDB's own overhead.
  const needed =
    files.safetensors.byteLength + files.zip.byteLength + (files.gguf?.byteLength ?? 0) + 4096;
  const space = await storageAvailable();
  if (space && space.free < needed) {
    throw new HistoryQuotaError(
      `Browser storage is full: this adapter needs ${mb(needed)} and ${mb(space.free)} is left (${mb(space.usage)} of ${mb(space.quota)} used).`,
      needed,
      space.free,
    );
  }
  const d = await open();
  try {
    const tx = d.transaction(['entries', 'files'], 'readwrite');
    const id = await tx
      .objectStore('entries')
      .add(entry as HistoryEntry /* id assigned by the store */);
    await tx.objectStore('files').put({ id, ...files });
    await tx.done;
    return { ...entry, id };
  } catch (e) {
    if (isQuotaError(e)) {
      throw new HistoryQuotaError(
        `The browser refused to store this adapter: storage is full (${(e as Error).message}).`,
        needed,
        space?.free ?? null,
      );
    }
    throw e;
  }
}

/** Every entry, newest first. */
export async function listHistory(): Promise<HistoryEntry[]> {
  const d = await open();
  const all = await d.getAllFromIndex('entries', 'createdAt');
  return all.reverse();
}

export async function historyFiles(id: number): Promise<HistoryFiles | undefined> {
  return (await open()).get('files', id);
}

export async function deleteHistoryEntry(id: number): Promise<void> {
  const tx = (await open()).transaction(['entries', 'files'], 'readwrite');
  await Promise.all([tx.objectStore('entries').delete(id), tx.objectStore('files').delete(id)]);
  await tx.done;
}

/** Whether an entry matches a search: every word in the description, model or settings. */
export function matchesSearch(entry: HistoryEntry, query: string): boolean {
  const hay = [
    entry.description,
    entry.modelName,
    entry.baseModel,
    `T2L-${entry.variant}`,
    entry.precision,
    entry.backend,
    entry.blend?.with ?? '',
  ]
    .join(' ')
    .toLowerCase();
  return query
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((w) => hay.includes(w));
}
