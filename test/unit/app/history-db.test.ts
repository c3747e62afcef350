/**
 * The History database (src/app/shared/storage/history-db.ts) against fake-indexeddb, an in-memory
 * IndexedDB that follows the spec (its upgrade transactions included): a version-1 database from an
 * older app is upgraded with its entries kept and every store the code uses present, and the saved
 * outputs keep at most MAX_SAVED_OUTPUTS runs. The browser specs keep the end-to-end paths.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type * as HistoryDb from '../../../src/app/shared/storage/history-db';
import { createOldHistoryDb } from '../../support/history-versions';

/** A fresh IndexedDB and a fresh module (it caches its open database). */
async function fresh(): Promise<typeof HistoryDb> {
  globalThis.indexedDB = new IDBFactory();
  vi.resetModules();
  return import('../../../src/app/shared/storage/history-db');
}

const entry = (description: string, createdAt: number) =>
  ({
    createdAt,
    description,
    modelId: 'demo-l',
    modelName: 'Demo T2L-L',
    baseModel: 'b',
    variant: 'L',
    precision: 'fp32',
    backend: 'wasm',
    dtype: 'fp32',
    timings: {},
    stem: 's',
    sizes: { safetensors: 1, zip: 1 },
    settings: {},
  }) as unknown as HistoryDb.NewHistoryEntry;

const run = (i: number): HistoryDb.SavedOutput => ({
  at: i,
  prompt: `p${i}`,
  system: '',
  baseName: 'base.gguf',
  sampling: 'greedy',
  maxTokens: 8,
  base: null,
  adapter: `a${i}`,
  scale: 1,
  stopped: false,
});

beforeEach(() => vi.unstubAllGlobals());

describe('History database', () => {
  it('upgrades a version-1 database: entries kept, the outputs store there', async () => {
    globalThis.indexedDB = new IDBFactory();
    await createOldHistoryDb(1, { entry: { id: 1, ...entry('old one', 5) } });
    vi.resetModules();
    const h = await import('../../../src/app/shared/storage/history-db');
    expect(h.HISTORY_DB_VERSION).toBe(3);
    const list = await h.listHistory();
    expect(list.map((e) => [e.id, e.description])).toEqual([[1, 'old one']]);
    expect((await h.historyFiles(1))?.zip).toEqual(new Uint8Array([2]));
    // The store added by version 2: reading, writing and deleting through it all work.
    expect(await h.historyOutputs(1)).toEqual([]);
    expect(await h.addHistoryOutput(1, run(1))).toEqual([run(1)]);
    await h.deleteHistoryEntry(1);
    expect(await h.listHistory()).toEqual([]);
    expect(await h.historyOutputs(1)).toEqual([]);
    expect(await h.historyFiles(1)).toBeUndefined();
  });

  it('lists newest first, keeps files, and at most MAX_SAVED_OUTPUTS runs per entry', async () => {
    const h = await fresh();
    const files = { safetensors: new Uint8Array([7]), zip: new Uint8Array([8]), gguf: null };
    const a = await h.addHistoryEntry(entry('first', 10), files);
    const b = await h.addHistoryEntry(entry('second', 20), files);
    expect((await h.listHistory()).map((e) => e.id)).toEqual([b.id, a.id]);
    expect(await h.historyFiles(a.id)).toEqual({ id: a.id, ...files });
    expect(h.MAX_SAVED_OUTPUTS).toBe(20);
    let runs: HistoryDb.SavedOutput[] = [];
    for (let i = 1; i <= 20; i++) runs = await h.addHistoryOutput(a.id, run(i));
    // Exactly at the limit: all twenty kept.
    expect(runs.map((r) => r.at)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    runs = await h.addHistoryOutput(a.id, run(21));
    expect(runs.map((r) => r.at)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
    expect(await h.historyOutputs(a.id)).toEqual(runs);
    await expect(h.addHistoryOutput(999, run(1))).rejects.toThrow(
      /history entry 999 is not stored/,
    );
  });

  it('refuses an adapter bigger than the storage left, before writing', async () => {
    const h = await fresh();
    vi.stubGlobal('navigator', {
      storage: { estimate: async () => ({ usage: 9_000, quota: 10_000 }) },
    });
    const files = { safetensors: new Uint8Array(100), zip: new Uint8Array(100) };
    const err = await h.addHistoryEntry(entry('big', 1), files).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(h.HistoryQuotaError);
    expect((err as HistoryDb.HistoryQuotaError).needed).toBe(100 + 100 + 4096);
    expect((err as HistoryDb.HistoryQuotaError).available).toBe(1000);
    expect(await h.listHistory()).toEqual([]);
  });
});
