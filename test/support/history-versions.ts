/**
 * The History database (src/app/shared/storage/history-db.ts, 't2l-history') as older versions of the
 * app left it, written with plain IndexedDB calls (not the code under test) into whatever
 * `indexedDB` is global (fake-indexeddb in unit tests), so each upgrade can be tested from it:
 * version 1 had `entries` (key `id`, auto-increment, index `createdAt`) and `files` (key `id`);
 * version 2 added `outputs` (key `entryId`).
 */

export interface OldHistory {
  /** The one entry, stored with its own `id` (1 for the files below). */
  entry: Record<string, unknown>;
  /** Version 2 only: the saved runs of entry 1. */
  runs?: unknown[];
}

/** Writes the database at `version` with `content` and one files record (id 1). */
export function createOldHistoryDb(version: 1 | 2, content: OldHistory): Promise<void> {
  const stores = version === 1 ? ['entries', 'files'] : ['entries', 'files', 'outputs'];
  return new Promise((resolve, reject) => {
    const req = indexedDB.open('t2l-history', version);
    req.onupgradeneeded = () => {
      const d = req.result;
      d.createObjectStore('entries', { keyPath: 'id', autoIncrement: true }).createIndex(
        'createdAt',
        'createdAt',
      );
      d.createObjectStore('files', { keyPath: 'id' });
      if (version >= 2) d.createObjectStore('outputs', { keyPath: 'entryId' });
    };
    req.onsuccess = () => {
      const d = req.result;
      const tx = d.transaction(stores, 'readwrite');
      tx.objectStore('entries').add(content.entry);
      tx.objectStore('files').put({
        id: 1,
        safetensors: new Uint8Array([1]),
        zip: new Uint8Array([2]),
      });
      if (version >= 2 && content.runs) {
        tx.objectStore('outputs').put({ entryId: 1, runs: content.runs });
      }
      tx.oncomplete = () => {
        d.close();
        resolve();
      };
      tx.onerror = () => reject(tx.error);
    };
    req.onerror = () => reject(req.error);
  });
}
