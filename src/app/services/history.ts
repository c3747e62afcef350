/** Keeps every generated adapter: writes it to the history, lists, downloads and deletes. */
import { useDraft, type DraftState } from '../stores/draft';
import { useHistory } from '../stores/history';
import { useRun } from '../stores/run';
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
import { downloadFileName, type DownloadNaming } from './download-names';
import { saveBytes } from './save-file';
import type { SharedSettings } from './share-link';

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
  result: Pick<GenerateResult, 'model' | 'backend' | 'timings'>;
  adapter: GeneratedFile;
  modelId: string;
  modelName: string;
  dtype: string;
  settings: SharedSettings;
  blend?: { with: string; weight: number };
}

let unsavedCount = 0;

/** Stores one adapter; when it cannot be stored it stays in memory with a warning, never dropped. */
export async function recordAdapter(g: Generated): Promise<void> {
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
    sizes: { safetensors: adapter.safetensors.byteLength, zip: adapter.zip.byteLength },
    settings: g.settings,
    ...(g.blend ? { blend: g.blend } : {}),
  };
  try {
    const saved = await addHistoryEntry(entry, {
      safetensors: adapter.safetensors,
      zip: adapter.zip,
    });
    useHistory.setState((s) => ({
      entries: [saved, ...s.entries.filter((e) => e.id !== saved.id)],
    }));
    void storageAvailable().then((space) =>
      useHistory.setState({ usage: space ? { usage: space.usage, quota: space.quota } : null }),
    );
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
          reason,
        },
        ...s.unsaved,
      ],
    }));
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
    if (s.result && s.result !== prev.result) {
      const r = s.result;
      const draft = useDraft.getState();
      for (const adapter of r.adapters) {
        void recordAdapter({
          result: r,
          adapter,
          modelId: (settings ?? draftSettings(draft, r.description)).modelId ?? '',
          modelName: r.modelName,
          dtype: r.dtype,
          settings: settings ?? draftSettings(draft, r.description),
        });
      }
    }
  });
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
  format: 'zip' | 'safetensors',
): Promise<void> {
  const files = await historyFiles(entry.id);
  if (!files) {
    useHistory.setState({ warning: `The files of “${entry.description}” are no longer stored.` });
    return;
  }
  const name = downloadFileName(naming(entry, files.safetensors), format);
  if (format === 'zip') saveBytes(files.zip, name, 'application/zip');
  else saveBytes(files.safetensors, name);
}

export async function deleteFromHistory(id: number): Promise<void> {
  await deleteHistoryEntry(id);
  useHistory.setState((s) => ({ entries: s.entries.filter((e) => e.id !== id) }));
  const space = await storageAvailable();
  useHistory.setState({ usage: space ? { usage: space.usage, quota: space.quota } : null });
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
