/** Keeps every generated adapter: writes it to the history, lists, downloads and deletes. */
import { useDraft, type DraftState } from '../shared/draft-store';
import { useHistory } from './history-store';
import { dismissNotice, showNotice } from '../shell/notices-store';
import { useRun } from '../shared/run-store';
import { showView } from '../shell/view-store';
import { STAGES } from '../worker/protocol';
import type { GeneratedFile, GenerateResult } from '../worker/protocol';
import {
  addHistoryEntry,
  deleteHistoryEntry,
  historyFiles,
  HistoryQuotaError,
  listHistory,
  storageAvailable,
  type HistoryEntry,
  type NewHistoryEntry,
} from './history-db';
import { downloadFileName, type DownloadNaming } from '../shared/download-names';
import { saveBytes } from '../shared/save-file';
import type { SharedSettings } from '../shared/share-link';

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

export interface Generated {
  result: Pick<GenerateResult, 'model' | 'backend' | 'timings'> &
    Partial<Pick<GenerateResult, 'location' | 'loadNotes' | 'files'>> & {
      revision?: string;
      encoderRevision?: string;
    };
  adapter: GeneratedFile;
  modelId: string;
  modelName: string;
  dtype: string;
  settings: SharedSettings;
  blend?: { with: string; weight: number };
}

let unsavedCount = 0;

/**
 * Stores one adapter; when it cannot be stored it stays in memory with a warning, never dropped.
 * Resolves with the stored entry's id, or null when it was not stored.
 */
export async function recordAdapter(g: Generated): Promise<number | null> {
  const { result, adapter } = g;
  const entry: NewHistoryEntry = {
    createdAt: Date.now(),
    description: adapter.description,
    modelId: g.modelId,
    modelName: g.modelName,
    baseModel: result.model.baseModel,
    variant: result.model.variant,
    precision: result.model.precision,
    backend: result.backend.label,
    dtype: g.dtype,
    timings: result.timings,
    stem: adapter.stem,
    sizes: {
      safetensors: adapter.safetensors.byteLength,
      zip: adapter.zip.byteLength,
      ...(adapter.gguf ? { gguf: adapter.gguf.byteLength } : {}),
    },
    card: {
      model: result.model,
      backend: result.backend,
      timings: result.timings,
      ...(result.location !== undefined ? { location: result.location } : {}),
      ...(result.loadNotes ? { loadNotes: result.loadNotes } : {}),
      ...(result.files ? { files: result.files } : {}),
      ...(result.revision ? { revision: result.revision } : {}),
      ...(result.encoderRevision ? { encoderRevision: result.encoderRevision } : {}),
      ggufNote: adapter.ggufNote,
    },
    settings: g.settings,
    ...(g.blend ? { blend: g.blend } : {}),
  };
  try {
    const saved = await addHistoryEntry(entry, {
      safetensors: adapter.safetensors,
      zip: adapter.zip,
      gguf: adapter.gguf,
    });
    useHistory.setState((s) => ({
      entries: [saved, ...s.entries.filter((e) => e.id !== saved.id)],
    }));
    void storageAvailable().then((space) =>
      useHistory.setState({ usage: space ? { usage: space.usage, quota: space.quota } : null }),
    );
    return saved.id;
  } catch (e) {
    const reason =
      e instanceof HistoryQuotaError
        ? e.message
        : `It could not be saved: ${e instanceof Error ? e.message : String(e)}`;
    useHistory.setState((s) => ({
      warning: `${reason} The adapter “${adapter.description.slice(0, 60)}” was not added to the history: download it now, or free space (delete old adapters below, or clear the model cache) before the page is closed.`,
      unsaved: [
        {
          key: `unsaved-${++unsavedCount}`,
          entry,
          safetensors: adapter.safetensors,
          zip: adapter.zip,
          gguf: adapter.gguf,
          reason,
        },
        ...s.unsaved,
      ],
    }));
    return null;
  }
}

export function draftSettings(draft: DraftState, description: string): SharedSettings {
  return {
    view: 'generate',
    ...(draft.modelId ? { modelId: draft.modelId } : {}),
    backend: draft.backend,
    precision: draft.precision,
    dtype: draft.dtype,
    encoderDtype: draft.encoderDtype,
    description,
  };
}

/** Records every result of the Generate view, with the settings it was started with. */
export function installHistoryRecorder(): () => void {
  let settings: SharedSettings | null = null;
  return useRun.subscribe((s, prev) => {
    if (s.status === 'running' && prev.status !== 'running') {
      const draft = useDraft.getState();
      settings = draftSettings(draft, draft.description);
    }
    // A result reopened from the history (negative id) is already in it.
    if (s.result && s.result !== prev.result && s.result.id > 0) {
      const r = s.result;
      const draft = useDraft.getState();
      for (const [i, adapter] of r.adapters.entries()) {
        const saved = recordAdapter({
          result: r,
          adapter,
          modelId: (settings ?? draftSettings(draft, r.description)).modelId ?? '',
          modelName: r.modelName,
          dtype: r.dtype,
          settings: settings ?? draftSettings(draft, r.description),
        });
        if (i === 0) recorded.set(r.id, saved);
      }
    }
  });
}

/** The History entry of each Generate result's first adapter, as its recording resolves. */
const recorded = new Map<number, Promise<number | null>>();

/**
 * The History entry id of a Generate result's adapter (what is kept with it, e.g. an accuracy
 * report, goes there): a reopened entry's own id, a new result's once stored, null if not stored.
 */
export async function historyIdOfResult(resultId: number): Promise<number | null> {
  if (resultId < 0) return -resultId;
  return (await recorded.get(resultId)) ?? null;
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
