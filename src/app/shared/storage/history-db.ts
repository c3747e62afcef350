/**
 * The history of generated adapters in IndexedDB (through `idb`): one small record per adapter
 * for the list, and its bytes (safetensors, the PEFT zip and the GGUF LoRA, exactly as first
 * offered) in a second store, so listing never reads megabytes; the LLM outputs kept with an
 * adapter (Compare's Outputs row, History's Try) in a third, keyed by the entry. Writes check the storage quota first and turn a full
 * disk into a HistoryQuotaError the page explains; nothing is dropped without saying so.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { SharedSettings } from '../share-link';
import type { GenerateResult, Timings } from '../../worker/protocol';
import type { EvalReport } from './eval-report';

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
    encoderRevision?: string;
  };

export interface HistoryFiles {
  id: number;
  safetensors: Uint8Array;
  zip: Uint8Array;
  /** The GGUF LoRA for llama.cpp: absent in entries stored before GGUF was kept, null where none could be made. */
  gguf?: Uint8Array | null;
}

/** One prompt answered by the base model and by this entry's adapter. */
export interface SavedOutput {
  at: number;
  prompt: string;
  system: string;
  /** The base GGUF's name, and how the text was sampled ("greedy" or the settings). */
  baseName: string;
  sampling: string;
  maxTokens: number;
  /** The base model's answer (null when it was not run, e.g. stopped before). */
  base: string | null;
  adapter: string;
  scale: number;
  /** Whether the adapter's answer was cut short with Stop. */
  stopped: boolean;
}

export interface HistoryOutputs {
  entryId: number;
  /** Oldest first. */
  runs: SavedOutput[];
}

/** The accuracy reports kept with an entry (accuracy/accuracy.ts). */
export interface HistoryEvals {
  entryId: number;
  /** Oldest first. */
  reports: EvalReport[];
}

interface HistorySchema extends DBSchema {
  entries: { key: number; value: HistoryEntry; indexes: { createdAt: number } };
  files: { key: number; value: HistoryFiles };
  outputs: { key: number; value: HistoryOutputs };
  evals: { key: number; value: HistoryEvals };
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

/**
 * Version 1: entries and files. Version 2 adds the outputs store (entries and files are kept as
 * they are; their GGUF, a new optional field, is absent in older entries). Version 3 adds the
 * evals store (accuracy reports, keyed by entry); nothing older is touched.
 */
export const HISTORY_DB_VERSION = 3;

function open(): Promise<IDBPDatabase<HistorySchema>> {
  db ??= openDB<HistorySchema>(HISTORY_DB, HISTORY_DB_VERSION, {
    upgrade(d, oldVersion) {
      if (oldVersion < 1) {
        const entries = d.createObjectStore('entries', { keyPath: 'id', autoIncrement: true });
        entries.createIndex('createdAt', 'createdAt');
        d.createObjectStore('files', { keyPath: 'id' });
      }
      if (oldVersion < 2) d.createObjectStore('outputs', { keyPath: 'entryId' });
      if (oldVersion < 3) d.createObjectStore('evals', { keyPath: 'entryId' });
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
  const tx = (await open()).transaction(['entries', 'files', 'outputs', 'evals'], 'readwrite');
  await Promise.all([
    tx.objectStore('entries').delete(id),
    tx.objectStore('files').delete(id),
    tx.objectStore('outputs').delete(id),
    tx.objectStore('evals').delete(id),
  ]);
  await tx.done;
}

/** The outputs kept with an entry, oldest first (none: an empty list). */
export async function historyOutputs(entryId: number): Promise<SavedOutput[]> {
  return (await (await open()).get('outputs', entryId))?.runs ?? [];
}

/** Most runs kept per entry: the oldest go first (a few kB each). */
export const MAX_SAVED_OUTPUTS = 20;

/** Appends one run to an entry's outputs; refuses an entry that is not (or no longer) stored. */
export async function addHistoryOutput(entryId: number, run: SavedOutput): Promise<SavedOutput[]> {
  const tx = (await open()).transaction(['entries', 'outputs'], 'readwrite');
  if (!(await tx.objectStore('entries').get(entryId))) {
    tx.abort();
    await tx.done.catch(() => {});
    throw new Error(`history entry ${entryId} is not stored (deleted meanwhile?)`);
  }
  const runs = [...((await tx.objectStore('outputs').get(entryId))?.runs ?? []), run].slice(
    -MAX_SAVED_OUTPUTS,
  );
  await tx.objectStore('outputs').put({ entryId, runs });
  await tx.done;
  return runs;
}

/** The accuracy reports kept with an entry, oldest first (none: an empty list). */
export async function historyEvals(entryId: number): Promise<EvalReport[]> {
  return (await (await open()).get('evals', entryId))?.reports ?? [];
}

/** Most accuracy reports kept per entry: the oldest go first (each holds its rows). */
export const MAX_SAVED_EVALS = 10;

/** Appends one report to an entry's; refuses an entry that is not (or no longer) stored. */
export async function addHistoryEval(entryId: number, report: EvalReport): Promise<EvalReport[]> {
  const tx = (await open()).transaction(['entries', 'evals'], 'readwrite');
  if (!(await tx.objectStore('entries').get(entryId))) {
    tx.abort();
    await tx.done.catch(() => {});
    throw new Error(`history entry ${entryId} is not stored (deleted meanwhile?)`);
  }
  const reports = [...((await tx.objectStore('evals').get(entryId))?.reports ?? []), report].slice(
    -MAX_SAVED_EVALS,
  );
  await tx.objectStore('evals').put({ entryId, reports });
  await tx.done;
  return reports;
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
