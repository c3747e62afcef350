/**
 * The History view's actions: lists, downloads, deletes and reopens kept adapters, and the ones that
 * could not be stored. Writing them is shared/storage/history-record.ts (Generate and Compare both do).
 */
import { useHistory } from '../shared/storage/history-store';
import { dismissNotice, showNotice } from '../shared/notices-store';
import { useRun } from '../shared/run-store';
import { showView } from '../shared/view-store';
import { STAGES } from '../worker/protocol';
import {
  addHistoryEntry,
  deleteHistoryEntry,
  historyFiles,
  listHistory,
  storageAvailable,
  type HistoryEntry,
  type NewHistoryEntry,
} from '../shared/storage/history-db';
import { downloadFileName, type DownloadNaming } from '../shared/download-names';
import { saveBytes } from '../shared/save-file';

export async function loadHistory(): Promise<void> {
  try {
    const [entries, space] = await Promise.all([listHistory(), storageAvailable()]);
    useHistory.setState({
      status: 'ready',
      entries,
      usage: space ? { usage: space.usage, quota: space.quota } : null,
    });
  } catch (e) {
    useHistory.setState({
      status: 'error',
      warning: `The history cannot be read in this browser: ${e instanceof Error ? e.message : String(e)}. New adapters stay listed here until you reload; download the ones you need.`,
    });
  }
}

function naming(entry: NewHistoryEntry, safetensors: Uint8Array): DownloadNaming {
  return {
    description: entry.description,
    model: entry.modelName,
    blend: entry.blend,
    safetensors,
  };
}

export async function downloadFromHistory(
  entry: HistoryEntry,
  format: 'zip' | 'safetensors' | 'gguf',
): Promise<void> {
  const files = await historyFiles(entry.id);
  if (!files) {
    useHistory.setState({ warning: `The files of “${entry.description}” are no longer stored.` });
    return;
  }
  const name = downloadFileName(naming(entry, files.safetensors), format);
  if (format === 'zip') saveBytes(files.zip, name, 'application/zip');
  else if (format === 'gguf' && files.gguf) saveBytes(files.gguf, name);
  else if (format === 'safetensors') saveBytes(files.safetensors, name);
}

async function refreshUsage(): Promise<void> {
  const space = await storageAvailable();
  useHistory.setState({ usage: space ? { usage: space.usage, quota: space.quota } : null });
}

/**
 * Deletes entries (one, or all with `ids` undefined), keeping their records and files in memory
 * so the notice's Undo can put them back.
 */
export async function deleteFromHistory(ids?: number[]): Promise<void> {
  const entries = useHistory
    .getState()
    .entries.filter((e) => ids === undefined || ids.includes(e.id));
  if (entries.length === 0) return;
  const removed = await Promise.all(
    entries.map(async (e) => ({ entry: e, files: await historyFiles(e.id) })),
  );
  for (const e of entries) await deleteHistoryEntry(e.id);
  const gone = new Set(entries.map((e) => e.id));
  useHistory.setState((s) => ({ entries: s.entries.filter((e) => !gone.has(e.id)) }));
  void refreshUsage();
  const what =
    entries.length === 1
      ? `Deleted “${entries[0]!.description.slice(0, 60)}” from the history.`
      : `Deleted all ${entries.length} adapters from the history.`;
  showNotice({
    id: 'history-deleted',
    text: what,
    action: {
      label: 'Undo',
      run: () => {
        dismissNotice('history-deleted');
        void restore(removed);
      },
    },
  });
}

async function restore(
  removed: { entry: HistoryEntry; files: Awaited<ReturnType<typeof historyFiles>> }[],
): Promise<void> {
  for (const { entry, files } of removed) {
    if (!files) continue;
    const rest: NewHistoryEntry & { id?: number } = { ...entry };
    delete rest.id;
    // Only the bytes: the stored files record also carries the old id.
    const saved = await addHistoryEntry(rest, {
      safetensors: files.safetensors,
      zip: files.zip,
      gguf: files.gguf ?? null,
    });
    useHistory.setState((s) => ({
      entries: [...s.entries, saved].sort((a, b) => b.createdAt - a.createdAt),
    }));
  }
  void refreshUsage();
}

/** Puts an entry back in the Generate view as its full result card. */
export async function reopenFromHistory(entry: HistoryEntry): Promise<void> {
  const files = await historyFiles(entry.id);
  if (!files || !entry.card) {
    useHistory.setState({ warning: `The result card of “${entry.description}” was not stored.` });
    return;
  }
  const c = entry.card;
  useRun.setState({
    status: 'done',
    error: null,
    stage: null,
    result: {
      model: c.model,
      backend: c.backend,
      timings: c.timings,
      location: c.location ?? entry.modelName,
      loadNotes: c.loadNotes ?? [],
      files: c.files ?? [],
      adapters: [
        {
          description: entry.description,
          stem: entry.stem,
          safetensors: files.safetensors,
          zip: files.zip,
          gguf: files.gguf ?? null,
          ggufNote: c.ggufNote ?? '',
        },
      ],
      id: -entry.id,
      modelName: entry.modelName,
      ...(c.revision ? { revision: c.revision } : {}),
      ...(c.encoderRevision ? { encoderRevision: c.encoderRevision } : {}),
      description: entry.description,
      dtype: entry.dtype,
      finishedAt: entry.createdAt,
      totalMs: STAGES.reduce((n, s) => n + (c.timings[s] ?? 0), 0),
    },
  });
  showView('generate');
}

export function downloadUnsaved(key: string, format: 'zip' | 'safetensors'): void {
  const u = useHistory.getState().unsaved.find((x) => x.key === key);
  if (!u) return;
  const name = downloadFileName(naming(u.entry, u.safetensors), format);
  if (format === 'zip') saveBytes(u.zip, name, 'application/zip');
  else saveBytes(u.safetensors, name);
}

/** Tries to store the adapters that did not fit, e.g. after deleting old ones. */
export async function retryUnsaved(): Promise<void> {
  const pending = useHistory.getState().unsaved;
  useHistory.setState({ unsaved: [], warning: null });
  for (const u of pending.slice().reverse()) {
    try {
      const saved = await addHistoryEntry(u.entry, { safetensors: u.safetensors, zip: u.zip });
      useHistory.setState((s) => ({ entries: [saved, ...s.entries] }));
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      useHistory.setState((s) => ({
        unsaved: [{ ...u, reason }, ...s.unsaved],
        warning: `${reason} Some adapters are still not in the history: download them.`,
      }));
    }
  }
}

export function dismissHistoryWarning(): void {
  useHistory.setState({ warning: null });
}
