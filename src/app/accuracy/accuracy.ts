/**
 * Accuracy in the page: score the base model (every adapter at scale 0), the generated adapter and
 * an optional control adapter on the same examples, with the reference's protocol, through the LLM
 * worker Try already uses (the base loaded once with every adapter mounted, adapters switched per
 * request). Parsing, prompts, answer matching and statistics are the core's (src/core/eval,
 * reached through accuracy-core.ts), the same code as `t2l eval`; this file only feeds the panel's
 * store, runs the control's generation, and keeps the report with the History entry.
 */
import {
  DEFAULT_JUNK,
  emptyAccuracyPanel,
  useAccuracy,
  type AccuracyForm,
  type AccuracyPanel,
} from './accuracy-store';
import { useCompare } from '../shared/compare-store';
import { useDraft } from '../shared/draft-store';
import { useRun } from '../shared/run-store';
import { useSettings } from '../shared/settings-store';
import {
  checkPickedFile,
  checkTemplate,
  decodePickedFile,
  loadBenchmark,
  parseOwnExamples,
  scoreModels,
  summarizeRows,
  type LoadedSet,
  type RunModel,
} from './accuracy-core';
import type { EvalModel, EvalReport, EvalRow } from './accuracy-report';
import type { BaseChoice } from '../shared/llm/base-models';
import { columnRequest } from '../shared/column-request';
import { refuseUnfitBase } from '../shared/llm/llm-fit';
import { addHistoryEval, historyEvals } from '../shared/storage/history-db';
import { historyIdOfResult } from '../shared/storage/history-record';
import { completeLlm, prepareLlm, type AdapterInput } from '../shared/llm/llm';
import { catalogBaseFor } from '../shared/outputs/outputs';
import { workerClient } from '../shared/worker-client';
import { WorkerCallError } from '../shared/worker-rpc';

/** The Generate view's panel and Compare's Accuracy row. */
export const RESULT_PANEL = 'result';
export const COMPARE_PANEL = 'compare';

const controllers = new Map<string, AbortController>();

export function accuracyPanel(key: string): AccuracyPanel {
  return useAccuracy.getState().panels[key] ?? emptyAccuracyPanel();
}

function setPanel(key: string, patch: Partial<AccuracyPanel>): void {
  useAccuracy.setState((s) => ({
    panels: { ...s.panels, [key]: { ...accuracyPanel(key), ...patch } },
  }));
}

/** Form edits. */
export function editAccuracyForm(key: string, patch: Partial<AccuracyForm>): void {
  setPanel(key, { form: { ...accuracyPanel(key).form, ...patch } });
}

export function setAccuracyFilter(key: string, filter: AccuracyPanel['filter']): void {
  setPanel(key, { filter });
}

const message = (e: unknown) =>
  e instanceof WorkerCallError ? e.detail.message : e instanceof Error ? e.message : String(e);
const cancelled = (e: unknown) => e instanceof WorkerCallError && e.detail.code === 'cancelled';

/**
 * A picked JSONL/CSV file: refused by its size before it is read, then read into the form as UTF-8
 * (a file in another encoding refused naming the line, as `t2l eval` does).
 */
export async function pickExampleFile(key: string, file: File): Promise<void> {
  let text: string;
  try {
    checkPickedFile(file.size, file.name);
    text = decodePickedFile(new Uint8Array(await file.arrayBuffer()), file.name);
  } catch (e) {
    return setPanel(key, {
      status: 'error',
      error: { title: 'That file cannot be an example set', message: message(e) },
    });
  }
  editAccuracyForm(key, { text, fileName: file.name, source: 'own' });
  setPanel(key, { error: null, status: accuracyPanel(key).report ? 'done' : 'idle' });
}

/** The example set the form names, or a thrown T2LError naming the line and field. */
async function loadSet(form: AccuracyForm): Promise<LoadedSet> {
  if (form.source === 'benchmark') {
    const s = useSettings.getState();
    return loadBenchmark(form.benchmark, {
      limit: form.limit,
      seed: form.seed,
      maxTokens: form.benchmarkMaxTokens,
      hubEndpoint: s.hubEndpoint,
      hfToken: s.hfToken,
    });
  }
  return parseOwnExamples(form.text, form.fileName ?? 'pasted examples', {
    maxTokens: form.maxTokens,
    template: form.template,
    system: form.system,
    pasted: form.fileName === null,
  });
}

/** One adapter to score besides the base: its GGUF, label, and where to keep the report. */
export interface AccuracyTarget {
  key: string;
  label: string;
  kind: 'adapter' | 'control';
  gguf: Uint8Array;
}

/** The control adapter's description from the form, or null for none. */
export function controlDescription(form: AccuracyForm, junk: string): string | null {
  if (form.control === 'none') return null;
  if (form.control === 'junk') return form.controlText.trim() || junk;
  return form.controlText.trim() || null;
}

/**
 * Generates the control adapter with the current model and settings (the Generate form's), through
 * the generation worker as Compare does, without touching the Generate view's result.
 */
async function generateControl(description: string, signal: AbortSignal): Promise<Uint8Array> {
  const d = useDraft.getState();
  const req = columnRequest({
    config: {
      modelId: d.modelId ?? '',
      backend: d.backend,
      precision: d.precision,
      dtype: d.dtype,
    },
    description,
  });
  if (typeof req === 'string') throw new Error(`The control adapter cannot be generated: ${req}`);
  const result = await workerClient().call('generate', req, { signal });
  const gguf = result.adapters[0]?.gguf;
  if (!gguf) throw new Error('The control adapter has no GGUF LoRA, so llama.cpp cannot run it.');
  return gguf;
}

/**
 * Runs one panel: loads the examples (a bad line is named, nothing else changes), generates the
 * control when asked, prepares the base once with every adapter, and scores the base and each
 * target on every example. Cancel keeps the finished rows, summarized; the report is kept with
 * each of `historyIds`' entries (none: not kept).
 */
export async function runAccuracy(
  key: string,
  base: BaseChoice,
  targets: AccuracyTarget[],
  options: {
    control?: string | null;
    historyIds?: () => Promise<number[]>;
    /** Where the run was started, kept in the report (History says "Compare"). */
    origin?: EvalReport['origin'];
  } = {},
): Promise<void> {
  const panel = accuracyPanel(key);
  if (panel.status === 'preparing' || panel.status === 'running') return;
  const { form } = panel;
  const controller = new AbortController();
  controllers.set(key, controller);
  const { signal } = controller;
  setPanel(key, {
    status: 'preparing',
    stage: form.source === 'benchmark' ? `Reading ${form.benchmark}` : 'Reading the examples',
    error: null,
    progress: null,
    report: null,
    savedTo: null,
    saveNote: null,
    note: null,
  });
  let set: LoadedSet;
  try {
    if (form.source === 'own') checkTemplate(form.template);
  } catch (e) {
    controllers.delete(key);
    return setPanel(key, {
      status: 'error',
      stage: null,
      error: { title: 'The template cannot be used', message: message(e) },
    });
  }
  try {
    set = await loadSet(form);
  } catch (e) {
    return setPanel(key, {
      status: 'error',
      stage: null,
      error: {
        title:
          form.source === 'benchmark'
            ? 'The benchmark cannot be read'
            : 'The examples cannot be read',
        message: message(e),
      },
    });
  } finally {
    if (accuracyPanel(key).status === 'error') controllers.delete(key);
  }
  setPanel(key, { note: set.note });
  const all = [...targets];
  const models: EvalModel[] = [];
  let report: EvalReport | null;
  try {
    await refuseUnfitBase(base);
    if (options.control) {
      setPanel(key, { stage: `Generating the control adapter from “${options.control}”` });
      all.push({
        key: 'control',
        label: 'Control',
        kind: 'control',
        gguf: await generateControl(options.control, signal),
      });
    }
    setPanel(key, { stage: `Getting ${base.label}` });
    const adapters: AdapterInput[] = all.map((t) => ({ label: t.label, gguf: t.gguf }));
    const { prepared, ids } = await prepareLlm(base, adapters, {
      signal,
      onProgress: (p) => {
        if (p.type === 'llm-stage') setPanel(key, { stage: p.detail });
      },
    });
    const run: RunModel[] = [
      { key: 'base', label: 'Base model', kind: 'base', adapter: null },
      ...all.map((t, i) => ({ key: t.key, label: t.label, kind: t.kind, adapter: ids[i]! })),
    ];
    models.push(...run.map(({ key: k, label, kind }) => ({ key: k, label, kind })));
    const maxTokens = set.items[0]?.maxTokens ?? form.maxTokens;
    const partial = (rows: EvalRow[], complete: boolean): EvalReport => ({
      at: Date.now(),
      set: {
        kind: set.kind,
        name: set.name,
        total: set.count,
        ...(set.seed !== undefined ? { seed: set.seed } : {}),
        ...(set.source !== undefined ? { source: set.source } : {}),
      },
      baseName: prepared.model.name,
      maxTokens,
      template: set.template,
      system: set.system,
      control: options.control ?? null,
      ...(options.origin ? { origin: options.origin } : {}),
      models,
      rows,
      summaries: summarizeRows(models, rows),
      complete,
    });
    setPanel(key, {
      status: 'running',
      stage: null,
      progress: { done: 0, total: set.count, perSecond: null, timeLeft: null },
      report: partial([], false),
    });
    const outcome = await scoreModels(set, run, {
      signal,
      // Greedy, the base's chat template, in the LLM worker: the prompt as the core built it.
      complete: async (prompt, adapter, tokens, rule) => {
        const out = await completeLlm(
          prepared,
          {
            prompt: prompt.user,
            system: prompt.system,
            prefill: prompt.prefill,
            adapter,
            scale: 1,
            maxTokens: tokens,
            useTemplate: true,
            keepEmptySystem: true,
            decidedBy: rule,
          },
          { signal },
        );
        return { text: out.text, finish: out.finish };
      },
      onProgress: (p) => setPanel(key, { progress: p }),
      onRows: (rows) => setPanel(key, { report: partial(rows, false) }),
    });
    report = partial(outcome.rows, outcome.complete);
    setPanel(key, { status: outcome.complete ? 'done' : 'cancelled', report });
  } catch (e) {
    // The rows finished so far, summarized: kept, and in History, whether Cancel or an error
    // stopped the run (an error is recorded with them).
    const shown = models.length > 0 ? accuracyPanel(key).report : null;
    if (cancelled(e) || signal.aborted) {
      report = shown ? { ...shown, complete: false } : null;
      setPanel(key, { status: 'cancelled', stage: null, report });
    } else {
      report = shown ? { ...shown, at: Date.now(), complete: false, error: message(e) } : null;
      setPanel(key, {
        status: 'error',
        stage: null,
        ...(report ? { report } : {}),
        error: {
          title:
            report && report.rows.length > 0
              ? `The accuracy run failed after ${report.rows.length} of ${report.set.total} examples; those are kept`
              : 'The accuracy run failed',
          message: message(e),
        },
      });
    }
  } finally {
    controllers.delete(key);
  }
  if (report && report.rows.length > 0 && options.historyIds) {
    await keepReport(key, report, await options.historyIds());
  }
}

/** Keeps the report with each History entry; a failure is said, never silent. */
async function keepReport(key: string, report: EvalReport, entryIds: number[]): Promise<void> {
  if (entryIds.length === 0) {
    return setPanel(key, {
      saveNote: `Not kept in History: ${report.origin === 'compare' ? 'no column’s adapter is' : 'the adapter is not'} stored there.`,
    });
  }
  const failed: string[] = [];
  for (const id of entryIds) {
    try {
      const reports = await addHistoryEval(id, report);
      useAccuracy.setState((s) => ({ saved: { ...s.saved, [id]: reports } }));
      setPanel(key, { savedTo: id });
    } catch (e) {
      failed.push(message(e));
    }
  }
  setPanel(key, { saveNote: failed.length ? `Not kept in History: ${failed.join('; ')}` : null });
}

/** Cancel: the example being answered ends where it is; finished rows stay. */
export function cancelAccuracy(key: string): void {
  controllers.get(key)?.abort();
}

/**
 * The Generate view's Run: base, this result's adapter and the control, on `base`: Try's base
 * choice, handed in by the page (App.tsx), so this file needs nothing of the try feature.
 */
export async function runResultAccuracy(base: BaseChoice | null): Promise<void> {
  const result = useRun.getState().result;
  const adapter = result?.adapters[0];
  if (!result || !adapter) return;
  if (!adapter.gguf) {
    return setPanel(RESULT_PANEL, {
      status: 'error',
      error: {
        title: 'No GGUF for this adapter',
        message:
          adapter.ggufNote ||
          'This adapter has no llama.cpp (GGUF) form, so it cannot be scored here.',
      },
    });
  }
  if (!base) {
    return setPanel(RESULT_PANEL, {
      status: 'error',
      error: { title: 'No base model', message: 'Choose a base model GGUF in Try first.' },
    });
  }
  const form = accuracyPanel(RESULT_PANEL).form;
  const resultId = result.id;
  await runAccuracy(
    RESULT_PANEL,
    base,
    [{ key: 'adapter', label: 'This adapter', kind: 'adapter', gguf: adapter.gguf }],
    {
      control: controlDescription(form, DEFAULT_JUNK),
      historyIds: async () => {
        const id = await historyIdOfResult(resultId);
        return id === null ? [] : [id];
      },
    },
  );
}

/** Why Compare's Accuracy row cannot run, or null. */
export function compareAccuracyProblem(): string | null {
  const done = useCompare
    .getState()
    .columns.filter((c) => c.status === 'done' && c.result && c.adapter);
  if (done.length < 2) return 'Accuracy compares 2 to 4 finished columns.';
  if (done.length > 4) return 'Accuracy compares at most 4 columns at once.';
  const bases = [...new Set(done.map((c) => c.result!.model.baseModel))];
  if (bases.length > 1) return `These columns are for different base models: ${bases.join(', ')}.`;
  const missing = done.find((c) => !c.adapter!.gguf);
  if (missing) return `Column “${missing.label}” has no GGUF LoRA to run.`;
  const base = catalogBaseFor(bases[0]!);
  return typeof base === 'string' ? base : null;
}

/** Compare's Accuracy row: the base and every finished column, on the same examples, one run. */
export async function runCompareAccuracy(): Promise<void> {
  const problem = compareAccuracyProblem();
  if (problem) {
    return setPanel(COMPARE_PANEL, {
      status: 'error',
      error: { title: 'Accuracy cannot run', message: problem },
    });
  }
  const done = useCompare
    .getState()
    .columns.filter((c) => c.status === 'done' && c.result && c.adapter?.gguf);
  const base = catalogBaseFor(done[0]!.result!.model.baseModel) as BaseChoice;
  await runAccuracy(
    COMPARE_PANEL,
    base,
    done.map((c) => ({
      key: `col-${useCompare.getState().columns.indexOf(c)}`,
      label: c.label,
      kind: 'adapter' as const,
      gguf: c.adapter!.gguf!,
    })),
    {
      origin: 'compare',
      // Kept with every column's History entry, as Compare's Outputs row keeps its answers; read
      // at the end, as each column's entry id arrives after it is stored. A column whose adapter
      // changed meanwhile (Compare ran again) is not this report's.
      historyIds: async () => {
        const now = useCompare.getState().columns;
        return done.flatMap((c) => {
          const id = now.find((n) => n.adapter === c.adapter)?.historyId;
          return id === undefined ? [] : [id];
        });
      },
    },
  );
}

/** Reads the reports kept with a History entry. */
export async function loadSavedReports(entryId: number): Promise<void> {
  try {
    const reports = await historyEvals(entryId);
    useAccuracy.setState((s) => ({ saved: { ...s.saved, [entryId]: reports } }));
  } catch {
    useAccuracy.setState((s) => ({ saved: { ...s.saved, [entryId]: [] } }));
  }
}

/**
 * A result reopened from History brings its latest accuracy report into the Generate panel (a new
 * result starts empty).
 */
export async function showReportOfResult(resultId: number): Promise<void> {
  const panel = accuracyPanel(RESULT_PANEL);
  if (panel.status === 'preparing' || panel.status === 'running') return;
  if (resultId > 0) {
    return setPanel(RESULT_PANEL, { ...emptyAccuracyPanel(), form: panel.form });
  }
  const reports = await historyEvals(-resultId).catch(() => []);
  const last = reports[reports.length - 1] ?? null;
  setPanel(RESULT_PANEL, {
    ...emptyAccuracyPanel(),
    form: panel.form,
    report: last,
    status: last ? (last.complete ? 'done' : 'cancelled') : 'idle',
    savedTo: last ? -resultId : null,
  });
}
