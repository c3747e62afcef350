/**
 * Writes each generated adapter into the History (IndexedDB, history-db.ts, and the History
 * store): Generate's results through installHistoryRecorder, Compare's columns through
 * recordAdapter. Here, below the features, because both views make adapters.
 */
import { useDraft, type DraftState } from '../draft-store';
import { useHistory } from './history-store';
import { useRun } from '../run-store';
import type { GeneratedFile, GenerateResult } from '../../worker/protocol';
import {
  addHistoryEntry,
  HistoryQuotaError,
  storageAvailable,
  type NewHistoryEntry,
} from './history-db';
import type { SharedSettings } from '../share-link';

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
