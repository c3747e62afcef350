/**
 * Runs a comparison: one generation per column, in turn (they share the worker), each keeping its
 * adapter in the worker for analysis; then one cosines call over all columns. Every adapter made
 * here also goes into the history.
 */
import { useCapabilities } from '../shared/capabilities-store';
import { useCatalog } from '../shared/catalog-store';
import {
  MAX_CONFIGS,
  MAX_DESCRIPTIONS,
  useCompare,
  type ColumnConfig,
  type ColumnOutcome,
  type CompareState,
} from '../shared/compare-store';
import { useDraft } from '../shared/draft-store';
import { useSettings } from '../shared/settings-store';
import { currentHubEndpoint, type CatalogEntry } from '../shared/catalog';
import { explainError } from '../shared/error-hints';
import { columnRequest } from '../shared/column-request';
import { recordAdapter } from '../shared/storage/history-record';
import { detectCapabilities } from '../shared/capabilities';
import { allEntries, selectedEntry } from '../shared/models';
import { downloadFileName, type DownloadKind } from '../shared/download-names';
import { saveBytes } from '../shared/save-file';
import type { SharedSettings } from '../shared/share-link';
import { workerClient } from '../shared/worker-client';
import { WorkerCallError } from '../shared/worker-rpc';

function entries(): CatalogEntry[] {
  return allEntries(useCatalog.getState(), useSettings.getState().userModels);
}

function entryFor(modelId: string): CatalogEntry | undefined {
  return selectedEntry(entries(), modelId);
}

const short = (text: string, n = 28) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);

/** The columns a comparison will have, from what the form holds. */
export function plannedColumns(s: CompareState): ColumnOutcome[] {
  const base = (config: ColumnConfig, description: string) => ({
    config,
    description,
    status: 'waiting' as const,
    stage: null,
  });
  const variant = (c: ColumnConfig) => entryFor(c.modelId)?.name ?? c.modelId;
  switch (s.mode) {
    case 'configs': {
      // Axis labels name only what differs between the columns.
      const differs = (k: keyof ColumnConfig) => new Set(s.configs.map((c) => c[k])).size > 1;
      return s.configs.map((c, i) => {
        const parts = [
          ...(differs('modelId') ? [short(variant(c).replace(/\s*\(.*\)$/, ''), 16)] : []),
          ...(differs('backend') ? [c.backend] : []),
          ...(differs('precision') ? [c.precision] : []),
          ...(differs('dtype') ? [c.dtype] : []),
        ];
        return {
          ...base(c, s.description),
          label: [String(i + 1), ...parts].join(' · '),
          caption: `${variant(c)} · ${c.backend} · ${c.precision} · ${c.dtype}`,
        };
      });
    }
    case 'descriptions':
      return s.descriptions.map((d, i) => ({
        ...base(s.single, d),
        label: `${i + 1} · ${short(d, 18)}`,
        caption: d,
      }));
    case 'blend': {
      const { a, b, weight } = s.blend;
      return [
        { ...base(s.single, a), label: 'A', caption: a },
        {
          ...base(s.single, a),
          blend: { with: b, weight },
          label: `blend ${weight.toFixed(2)}`,
          caption: `${Math.round((1 - weight) * 100)}% A + ${Math.round(weight * 100)}% B`,
        },
        { ...base(s.single, b), label: 'B', caption: b },
      ];
    }
  }
}

/**
 * Label and caption with what ran in place of "auto" (configurations mode): the caption is
 * "model · backend · precision · dtype"; in the label precision comes after backend, so the last
 * "auto" is the precision when both are auto.
 */
export function ranLabels(
  c: Pick<ColumnOutcome, 'label' | 'caption' | 'config' | 'description' | 'blend'>,
  precision: string,
  backend: string,
): Partial<Pick<ColumnOutcome, 'label' | 'caption'>> {
  if (c.blend || c.caption === c.description) return {};
  const replaceLast = (parts: string[], value: string) => {
    const k = parts.lastIndexOf('auto');
    if (k >= 0) parts[k] = value;
  };
  const label = c.label.split(' · ');
  if (c.config.precision === 'auto') replaceLast(label, precision);
  if (c.config.backend === 'auto') replaceLast(label, backend);
  const caption = c.caption.split(' · ');
  if (caption.length >= 4) {
    if (c.config.backend === 'auto') caption[caption.length - 3] = backend;
    if (c.config.precision === 'auto') caption[caption.length - 2] = precision;
  }
  return { label: label.join(' · '), caption: caption.join(' · ') };
}

/** Why the form cannot run yet, or null. */
export function compareProblem(s: CompareState): string | null {
  const cols = plannedColumns(s);
  if (s.mode === 'configs' && (cols.length < 2 || cols.length > MAX_CONFIGS))
    return `Compare 2 to ${MAX_CONFIGS} configurations.`;
  if (s.mode === 'descriptions' && (cols.length < 2 || cols.length > MAX_DESCRIPTIONS))
    return `Compare 2 to ${MAX_DESCRIPTIONS} descriptions.`;
  if (cols.some((c) => !c.description.trim()) || (s.mode === 'blend' && !s.blend.b.trim()))
    return 'Every description needs some text.';
  return null;
}

export function columnSettings(c: ColumnOutcome): SharedSettings {
  return {
    view: 'generate',
    modelId: c.config.modelId,
    backend: c.config.backend,
    precision: c.config.precision,
    dtype: c.config.dtype,
    description: c.description,
    ...(c.blend ? { blendWith: c.blend.with, blendWeight: c.blend.weight } : {}),
  };
}

let controller: AbortController | null = null;
let runs = 0;

function setColumn(i: number, patch: Partial<ColumnOutcome>): void {
  useCompare.setState((s) => ({
    columns: s.columns.map((c, j) => (j === i ? { ...c, ...patch } : c)),
  }));
}

export async function runCompare(): Promise<void> {
  const state = useCompare.getState();
  if (state.running) return;
  const problem = compareProblem(state);
  if (problem) return void useCompare.setState({ error: problem });
  const columns = plannedColumns(state);
  useCompare.setState({ running: true, columns, cosines: null, error: null });
  if (!useCapabilities.getState().caps) await detectCapabilities();
  controller = new AbortController();
  const signal = controller.signal;
  const run = ++runs;
  const ids: (string | null)[] = [];
  try {
    for (const [i, column] of columns.entries()) {
      if (signal.aborted) break;
      const req = columnRequest(column, `cmp${run}-${i}`);
      if (typeof req === 'string') {
        const shown = {
          title: 'This column cannot run here',
          message: req,
          hint: 'Pick another model or backend for this column.',
          code: 'bad-input',
          retry: false,
        };
        setColumn(i, { status: 'error', error: req, shown });
        ids.push(null);
        continue;
      }
      setColumn(i, { status: 'running', stage: 'load' });
      try {
        const result = await workerClient().call('generate', req, {
          signal,
          onProgress: (p) => {
            if (p.type === 'stage') setColumn(i, { stage: p.stage });
          },
        });
        const adapter = result.adapters[0]!;
        const analysis = result.analysis?.[0];
        const modelName = entryFor(column.config.modelId)?.name ?? column.config.modelId;
        setColumn(i, {
          status: 'done',
          stage: null,
          ...ranLabels(column, result.model.precision, result.backend.kind),
          modelName,
          result: { model: result.model, backend: result.backend, timings: result.timings },
          adapter,
          ...(analysis ? { analysis } : {}),
        });
        ids.push(analysis?.id ?? null);
        // The entry's id lets the Outputs row keep its answers with the entry.
        void recordAdapter({
          result,
          adapter,
          modelId: column.config.modelId,
          modelName,
          dtype: column.config.dtype,
          settings: columnSettings(column),
          ...(column.blend ? { blend: column.blend } : {}),
        }).then((historyId) => {
          if (historyId !== null && run === runs) setColumn(i, { historyId });
        });
      } catch (e) {
        ids.push(null);
        // The same title and advice as Generate shows for the same failure.
        const shown =
          e instanceof WorkerCallError
            ? e.detail.code === 'cancelled'
              ? null
              : explainError(e.detail, currentHubEndpoint())
            : explainError({
                code: 'internal',
                message: e instanceof Error ? e.message : String(e),
              });
        setColumn(i, {
          status: 'error',
          stage: null,
          error: shown ? shown.message : 'Cancelled.',
          ...(shown ? { shown } : {}),
        });
      }
    }
    const known = ids.filter((x): x is string => x !== null);
    if (known.length >= 2 && !signal.aborted) {
      const matrix = await workerClient().call('cosines', { ids: known }, { signal });
      // Back onto all columns, with null for those that failed.
      const at = ids.map((id) => (id === null ? -1 : known.indexOf(id)));
      useCompare.setState({
        cosines: at.map((a) => at.map((b) => (a < 0 || b < 0 ? null : (matrix[a]![b] ?? null)))),
      });
    }
  } catch (e) {
    if (!(e instanceof WorkerCallError && e.detail.code === 'cancelled')) {
      useCompare.setState({ error: e instanceof Error ? e.message : String(e) });
    }
  } finally {
    controller = null;
    useCompare.setState({ running: false });
  }
}

export function cancelCompare(): void {
  controller?.abort();
}

export function downloadColumn(c: ColumnOutcome, format: 'zip' | 'safetensors' | 'gguf'): void {
  const a = c.adapter;
  if (!a) return;
  const name = (kind: DownloadKind) =>
    downloadFileName(
      {
        description: c.description,
        model: c.modelName ?? c.config.modelId,
        blend: c.blend,
        safetensors: a.safetensors,
      },
      kind,
    );
  if (format === 'zip') saveBytes(a.zip, name('zip'), 'application/zip');
  else if (format === 'safetensors') saveBytes(a.safetensors, name('safetensors'));
  else if (a.gguf) saveBytes(a.gguf, name('gguf'));
}

/**
 * Compare starts from what Generate holds: when the form has no description yet, Generate's
 * description fills it (and the first of several, and blend's A).
 */
export function seedCompareFromDraft(): void {
  const s = useCompare.getState();
  const d = useDraft.getState().description.trim();
  const empty =
    !s.description.trim() && s.descriptions.every((x) => !x.trim()) && !s.blend.a.trim();
  if (!d || !empty) return;
  useCompare.setState({
    description: d,
    descriptions: [d, ...s.descriptions.slice(1)],
    blend: { ...s.blend, a: d },
  });
}

/** An example chip: fills the description of the current mode (the first empty one). */
export function pickCompareExample(text: string): void {
  const s = useCompare.getState();
  if (s.mode === 'configs') {
    compareActions.setDescription(text);
  } else if (s.mode === 'descriptions') {
    const i = s.descriptions.findIndex((x) => !x.trim());
    compareActions.setDescriptionAt(i < 0 ? s.descriptions.length - 1 : i, text);
  } else {
    compareActions.setBlend(!s.blend.a.trim() ? { a: text } : { b: text });
  }
}

/** Form edits. */
export const compareActions = {
  setMode: (mode: CompareState['mode']) => useCompare.setState({ mode }),
  setDescription: (description: string) => useCompare.setState({ description }),
  setConfig: (i: number, patch: Partial<ColumnConfig>) =>
    useCompare.setState((s) => ({
      configs: s.configs.map((c, j) => (j === i ? { ...c, ...patch } : c)),
    })),
  addConfig: () =>
    useCompare.setState((s) =>
      s.configs.length >= MAX_CONFIGS
        ? s
        : { configs: [...s.configs, { ...s.configs[s.configs.length - 1]! }] },
    ),
  removeConfig: (i: number) =>
    useCompare.setState((s) =>
      s.configs.length <= 2 ? s : { configs: s.configs.filter((_, j) => j !== i) },
    ),
  setSingle: (patch: Partial<ColumnConfig>) =>
    useCompare.setState((s) => ({ single: { ...s.single, ...patch } })),
  setDescriptionAt: (i: number, text: string) =>
    useCompare.setState((s) => ({
      descriptions: s.descriptions.map((d, j) => (j === i ? text : d)),
    })),
  addDescription: () =>
    useCompare.setState((s) =>
      s.descriptions.length >= MAX_DESCRIPTIONS ? s : { descriptions: [...s.descriptions, ''] },
    ),
  removeDescription: (i: number) =>
    useCompare.setState((s) =>
      s.descriptions.length <= 2 ? s : { descriptions: s.descriptions.filter((_, j) => j !== i) },
    ),
  setBlend: (patch: Partial<CompareState['blend']>) =>
    useCompare.setState((s) => ({ blend: { ...s.blend, ...patch } })),
};

/** The models a column may use. */
export function modelChoices(): CatalogEntry[] {
  return entries();
}
