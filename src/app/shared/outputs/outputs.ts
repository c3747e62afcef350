/**
 * LLM outputs side by side (Compare's Outputs row, History's Try): one prompt answered by the base
 * model and by each adapter, streamed into the panel's cells in turn, greedy so they are comparable.
 * The base is prepared once with every adapter of the panel mounted (shared/llm/llm.ts), so going
 * from one adapter to the next only changes the per-request LoRA scales, never reloads. Each
 * adapter's answer is kept with its History entry, with the base's.
 */
import { useCatalog } from '../catalog-store';
import { useCompare, type ColumnOutcome } from '../compare-store';
import { emptyPanel, useOutputs, type OutputCell, type OutputsPanel } from './outputs-store';
import type { CompleteResult } from '../../worker/llm-protocol';
import { catalogBases, type BaseChoice } from '../llm/base-models';
import {
  addHistoryOutput,
  historyFiles,
  historyOutputs,
  type HistoryEntry,
  type HistoryFiles,
  type SavedOutput,
} from '../storage/history-db';
import { completeLlm, prepareLlm } from '../llm/llm';
import { refuseUnfitBase } from '../llm/llm-fit';
import { WorkerCallError } from '../worker-rpc';

/** One adapter to answer with. */
export interface OutputTarget {
  label: string;
  gguf: Uint8Array;
  /** The History entry the answer is kept with. */
  historyId?: number;
}

const controllers = new Map<string, AbortController>();

function panel(key: string): OutputsPanel {
  return useOutputs.getState().panels[key] ?? emptyPanel();
}

function setPanel(key: string, patch: Partial<OutputsPanel>): void {
  useOutputs.setState((s) => ({ panels: { ...s.panels, [key]: { ...panel(key), ...patch } } }));
}

function setCell(key: string, i: number, patch: Partial<OutputCell>): void {
  setPanel(key, { cells: panel(key).cells.map((c, j) => (j === i ? { ...c, ...patch } : c)) });
}

const cancelled = (e: unknown) => e instanceof WorkerCallError && e.detail.code === 'cancelled';

function message(e: unknown): string {
  if (e instanceof WorkerCallError) return e.detail.message;
  return e instanceof Error ? e.message : String(e);
}

/** Form edits of a panel. */
export function editOutputs(
  key: string,
  patch: Partial<Pick<OutputsPanel, 'prompt' | 'system' | 'maxTokens'>>,
): void {
  setPanel(key, patch);
}

/** The catalog's GGUF of a base model (the one the adapters were generated for), or why none. */
export function catalogBaseFor(baseModel: string): BaseChoice | string {
  const entries = useCatalog.getState().catalog.models;
  const own = entries.find((e) => e.baseModel === baseModel && e.baseGguf);
  if (!own) {
    return `The catalog names no GGUF for ${baseModel}, so its adapters cannot be run here (Generate's Try panel takes a GGUF of your own).`;
  }
  return catalogBases(entries, own)[0]!;
}

/**
 * Answers the panel's prompt with the base model, then with each target, one after the other
 * (they share the LLM worker). Refuses, before any download, a base this device cannot hold.
 */
export async function runOutputs(
  key: string,
  base: BaseChoice,
  targets: OutputTarget[],
): Promise<void> {
  const { prompt, system, maxTokens, running } = panel(key);
  if (running) return;
  if (!prompt.trim()) return setPanel(key, { error: 'Type a prompt first.' });
  if (targets.length === 0) return setPanel(key, { error: 'There is no adapter to answer with.' });
  const controller = new AbortController();
  controllers.set(key, controller);
  const cells: OutputCell[] = [
    { label: 'Base model', adapterId: null, status: 'waiting', text: '' },
    ...targets.map((t) => ({
      label: t.label,
      adapterId: null,
      status: 'waiting' as const,
      text: '',
    })),
  ];
  setPanel(key, { running: true, error: null, cells, stage: `Getting ${base.label}` });
  try {
    await refuseUnfitBase(base);
    const { prepared, ids } = await prepareLlm(
      base,
      targets.map((t) => ({ label: t.label, gguf: t.gguf })),
      {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.type === 'file') {
            setPanel(key, { download: { loaded: p.loaded, total: p.total ?? null } });
          } else if (p.type === 'llm-stage') setPanel(key, { stage: p.detail });
        },
      },
    );
    setPanel(key, {
      cells: panel(key).cells.map((c, i) => (i === 0 ? c : { ...c, adapterId: ids[i - 1]! })),
      baseName: prepared.model.name,
      backend: prepared.backend.label,
      baseLoads: prepared.baseLoads,
      download: null,
      stage: null,
    });
    const answers: (CompleteResult | null)[] = [];
    for (let i = 0; i < cells.length; i++) {
      if (controller.signal.aborted) {
        setCell(key, i, { status: 'skipped' });
        answers.push(null);
        continue;
      }
      setCell(key, i, { status: 'running' });
      let streamed = '';
      try {
        // Cell 0 is the base alone: every adapter at scale 0.
        const r = await completeLlm(
          prepared,
          { prompt, system, adapter: i === 0 ? null : ids[i - 1]!, scale: 1, maxTokens },
          {
            signal: controller.signal,
            onToken: (t) => {
              streamed += t;
              setCell(key, i, { text: streamed });
            },
          },
        );
        answers.push(r);
        setCell(key, i, {
          status: r.finish === 'stopped' ? 'stopped' : 'done',
          text: r.text,
          ttftMs: r.ttftMs,
          tokensPerSecond: r.tokensPerSecond,
          tokens: r.tokens,
        });
      } catch (e) {
        answers.push(null);
        setCell(
          key,
          i,
          cancelled(e) ? { status: 'stopped' } : { status: 'error', error: message(e) },
        );
      }
    }
    await keepWithHistory(key, targets, answers, {
      prompt,
      system,
      maxTokens,
      baseName: prepared.model.name,
    });
  } catch (e) {
    setPanel(key, {
      error: cancelled(e) ? null : message(e),
      cells: panel(key).cells.map((c) =>
        c.status === 'waiting' || c.status === 'running' ? { ...c, status: 'skipped' } : c,
      ),
    });
  } finally {
    controllers.delete(key);
    setPanel(key, { running: false, stage: null, download: null });
  }
}

/** Stores each answered adapter's output, with the base's, on its History entry. */
async function keepWithHistory(
  key: string,
  targets: OutputTarget[],
  answers: (CompleteResult | null)[],
  run: { prompt: string; system: string; maxTokens: number; baseName: string },
): Promise<void> {
  const base = answers[0] ?? null;
  for (const [i, t] of targets.entries()) {
    const answer = answers[i + 1];
    if (t.historyId === undefined || !answer) continue;
    const saved: SavedOutput = {
      at: Date.now(),
      ...run,
      sampling: 'greedy',
      base: base ? base.text : null,
      adapter: answer.text,
      scale: 1,
      stopped: answer.finish === 'stopped',
    };
    try {
      const runs = await addHistoryOutput(t.historyId, saved);
      const historyKey = historyPanelKey(t.historyId);
      if (useOutputs.getState().panels[historyKey]) setPanel(historyKey, { saved: runs });
    } catch (e) {
      setPanel(key, { error: `The output of “${t.label}” was not kept: ${message(e)}` });
    }
  }
}

/** Stops the panel's run: the answer being written ends where it is, the rest are not run. */
export function stopOutputs(key: string): void {
  controllers.get(key)?.abort();
}

export const historyPanelKey = (entryId: number) => `history-${entryId}`;

/** Reads the outputs kept with a History entry into its panel. */
export async function loadSavedOutputs(entryId: number): Promise<void> {
  const key = historyPanelKey(entryId);
  try {
    setPanel(key, { saved: await historyOutputs(entryId) });
  } catch (e) {
    setPanel(key, { saved: [], error: `The kept outputs could not be read: ${message(e)}` });
  }
}

/** Why Compare's Outputs row cannot run, or null. */
export function compareOutputsProblem(columns: ColumnOutcome[]): string | null {
  const done = columns.filter((c) => c.status === 'done' && c.result && c.adapter);
  if (done.length === 0) return 'No column has an adapter yet.';
  const bases = [...new Set(done.map((c) => c.result!.model.baseModel))];
  if (bases.length > 1) {
    return `Outputs compare adapters of one base model; these columns are for ${bases.join(' and ')}.`;
  }
  const missing = done.find((c) => !c.adapter!.gguf);
  if (missing) {
    return `Column “${missing.label}” has no GGUF LoRA to run: ${missing.adapter!.ggufNote || 'none was written'}.`;
  }
  const base = catalogBaseFor(bases[0]!);
  return typeof base === 'string' ? base : null;
}

/** Compare's Outputs row: the base model and every finished column's adapter. */
export async function runCompareOutputs(): Promise<void> {
  const columns = useCompare.getState().columns;
  const problem = compareOutputsProblem(columns);
  if (problem) return setPanel('compare', { error: problem });
  const done = columns.filter((c) => c.status === 'done' && c.result && c.adapter?.gguf);
  const base = catalogBaseFor(done[0]!.result!.model.baseModel) as BaseChoice;
  await runOutputs(
    'compare',
    base,
    done.map((c) => ({
      label: c.label,
      gguf: c.adapter!.gguf!,
      ...(c.historyId !== undefined ? { historyId: c.historyId } : {}),
    })),
  );
}

/** History's Try: the base model and this entry's adapter, its GGUF read from the history. */
export async function runHistoryOutputs(entry: HistoryEntry): Promise<void> {
  const key = historyPanelKey(entry.id);
  let files: HistoryFiles | undefined;
  try {
    files = await historyFiles(entry.id);
  } catch (e) {
    return setPanel(key, {
      error: `The adapter could not be read from the history: ${message(e)}`,
    });
  }
  if (!files?.gguf) {
    return setPanel(key, {
      error: files
        ? 'This adapter has no GGUF LoRA in the history (it was stored before adapters were kept as GGUF, or none could be written for its base model): generate it again to try it.'
        : `The files of “${entry.description}” are no longer stored.`,
    });
  }
  const base = catalogBaseFor(entry.baseModel);
  if (typeof base === 'string') return setPanel(key, { error: base });
  await runOutputs(key, base, [{ label: 'This adapter', gguf: files.gguf, historyId: entry.id }]);
}
