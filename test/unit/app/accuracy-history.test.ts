/**
 * Accuracy reports kept with History entries (history-db.ts version 3) against fake-indexeddb: a
 * version-2 database from the app before is upgraded with its entries and outputs kept and the
 * evals store added; reports are kept per entry (at most MAX_SAVED_EVALS), refused for an entry
 * that is not stored, and deleted with their entry.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it, vi } from 'vitest';
import type { EvalReport } from '../../../src/app/accuracy/accuracy-report';
import { createOldHistoryDb } from '../../support/history-versions';

const report = (at: number): EvalReport => ({
  at,
  set: { kind: 'own', name: 'pasted examples', total: 1 },
  baseName: 'tiny',
  maxTokens: 4,
  control: null,
  models: [{ key: 'base', label: 'Base model', kind: 'base' }],
  rows: [{ id: 'line 1', prompt: 'p', expected: 'a', answers: [{ text: 'a', correct: true }] }],
  summaries: [{ key: 'base', n: 1, correct: 1, accuracy: 1, low: 0.2, high: 1, vsBase: null }],
  complete: true,
});

describe('History database version 3: accuracy reports', () => {
  it('upgrades a version-2 database: entries and outputs kept, reports kept per entry', async () => {
    globalThis.indexedDB = new IDBFactory();
    await createOldHistoryDb(2, {
      entry: { id: 1, createdAt: 5, description: 'kept', stem: 's' },
      runs: [{ at: 3, prompt: 'p' }],
    });
    vi.resetModules();
    const h = await import('../../../src/app/shared/storage/history-db');
    expect(h.HISTORY_DB_VERSION).toBe(3);
    expect((await h.listHistory()).map((e) => e.description)).toEqual(['kept']);
    expect((await h.historyOutputs(1)).map((o) => o.prompt)).toEqual(['p']);
    expect(await h.historyEvals(1)).toEqual([]);
    expect(await h.addHistoryEval(1, report(10))).toEqual([report(10)]);
    // A fresh module (a page reload) reads the same report back.
    vi.resetModules();
    const again = await import('../../../src/app/shared/storage/history-db');
    expect(await again.historyEvals(1)).toEqual([report(10)]);
    await again.deleteHistoryEntry(1);
    expect(await again.historyEvals(1)).toEqual([]);
    expect(await again.historyOutputs(1)).toEqual([]);
  });

  it('keeps at most MAX_SAVED_EVALS reports, oldest dropped, and refuses an entry not stored', async () => {
    globalThis.indexedDB = new IDBFactory();
    vi.resetModules();
    const h = await import('../../../src/app/shared/storage/history-db');
    const e = await h.addHistoryEntry(
      { createdAt: 1, description: 'd' } as unknown as Parameters<typeof h.addHistoryEntry>[0],
      { safetensors: new Uint8Array(1), zip: new Uint8Array(1) },
    );
    expect(h.MAX_SAVED_EVALS).toBe(10);
    let kept: EvalReport[] = [];
    for (let i = 1; i <= 11; i++) kept = await h.addHistoryEval(e.id, report(i));
    expect(kept.map((r) => r.at)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    await expect(h.addHistoryEval(999, report(1))).rejects.toThrow(
      /history entry 999 is not stored/,
    );
  });
});
