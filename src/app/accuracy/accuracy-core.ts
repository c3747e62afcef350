/**
 * The one place the page reaches the core's evaluation code (src/core/eval): example sets,
 * the reference's prompts and answer matching, the run loop and the statistics. The page never
 * matches answers or computes an interval itself, so its numbers are `t2l eval`'s. This file only
 * converts between the core's shapes and the page's report (accuracy-report.ts).
 */
import { checkExampleFileSize, decodeExampleBytes, parseExamples } from '../../core/eval/examples';
import type { MatchRule } from '../../core/eval/matching';
import {
  BENCHMARKS,
  MAX_ANSWER_TOKENS,
  userTemplate,
  userSetItem,
  userTemplateNote,
  type EvalItem,
} from '../../core/eval/protocol';
import { limitNote } from '../../core/eval/sample';
import { runEval, summarize, type EvalRow as CoreRow } from '../../core/eval/run';
import type { AccuracyProgress } from './accuracy-store';
import type { EvalModel, EvalModelSummary, EvalRow } from './accuracy-report';
import { workerClient } from '../shared/worker-client';

/** An example set ready to run: the core's items, and the text shown for each prompt. */
export interface LoadedSet {
  kind: 'own' | 'benchmark';
  name: string;
  count: number;
  seed?: number;
  /** A benchmark sample's example ids (its rows' own ids, or `row N`), in order. */
  ids?: string[];
  /** A benchmark's dataset file and pinned commit. */
  source?: string;
  items: EvalItem[];
  /** What the table shows as each row's prompt (the user's own text for own sets). */
  shown: string[];
  /** Own sets: the user's template (null: the defaults) and system message ("" for benchmarks). */
  template: string | null;
  system: string;
  /** A benchmark sample asked larger than its split: what was scored instead. */
  note: string | null;
}

/** A chat turn as the core builds it: rendered with the base's template in the LLM worker. */
export interface ChatPromptParts {
  system: string;
  user: string;
  /** Text the assistant's turn starts with (the reference's assistant_prefill), '' for none. */
  prefill: string;
}

export interface RunModel extends EvalModel {
  /** The adapter's id in the LLM worker; null: the base model alone. */
  adapter: string | null;
}

/**
 * One greedy answer from the LLM worker. `rule` is the example's matching rule: the worker stops
 * once the answer is settled by it (as `t2l eval` does); `finish` says why it ended.
 */
export type CompleteFn = (
  prompt: ChatPromptParts,
  adapter: string | null,
  maxTokens: number,
  rule: MatchRule,
) => Promise<{ text: string; finish: 'stop' | 'length' | 'stopped' | 'decided' }>;

const STOPS = { stop: 'eog', length: 'max-tokens', decided: 'decided', stopped: 'eog' } as const;

/** Refuses a picked file by its declared size before it is read (empty, or too large). */
export function checkPickedFile(size: number, name: string): void {
  checkExampleFileSize(size, name);
}

/**
 * A picked file's bytes as text, as `t2l eval` reads them: UTF-8 only, anything else refused naming
 * the line (Blob.text() would put U+FFFD in place of a Latin-1 "é" and score the altered text).
 * A UTF-8 byte-order mark is dropped, as Blob.text() does.
 */
export function decodePickedFile(bytes: Uint8Array, name: string): string {
  const text = decodeExampleBytes(bytes, name);
  return text.startsWith('\uFEFF') ? text.slice(1) : text;
}

/**
 * The "Max answer tokens" field's text as the number a run uses: rounded, and held to
 * 1…MAX_ANSWER_TOKENS, the range `t2l eval --max-tokens` accepts (one constant in core); '' or
 * text that is no number gives 1.
 */
export function answerTokensField(text: string): number {
  return Math.max(1, Math.min(MAX_ANSWER_TOKENS, Math.round(Number(text) || 1)));
}

/**
 * Checks the form's template as `t2l eval --template` does (core checkUserTemplate: `{prompt}`
 * required, only `{prompt}` and `{choices}`), with its wording; '' is no template (the defaults).
 */
export function checkTemplate(template: string): void {
  userTemplate(template);
}

/**
 * Parses pasted or picked JSONL/CSV into items as `t2l eval --examples` does (core userSetItem):
 * the template ('' for the defaults) and system message applied to every row, each answer at most
 * `maxTokens` tokens. A T2LError names the line and the field, or what is wrong with the template.
 */
export function parseOwnExamples(
  text: string,
  name: string,
  options: { maxTokens: number; template: string; system: string; pasted?: boolean },
): LoadedSet {
  const template = userTemplate(options.template);
  const set = parseExamples(text, {
    source: name,
    ...(options.pasted ? { kind: 'pasted text' as const } : {}),
  });
  const { maxTokens, system } = options;
  return {
    kind: 'own',
    name,
    count: set.examples.length,
    items: set.examples.map((e) =>
      userSetItem(e, { maxTokens, system, ...(template === null ? {} : { template }) }),
    ),
    shown: set.examples.map((e) => e.prompt),
    template,
    system,
    note:
      template === null
        ? null
        : userTemplateNote(template, set.examples.filter((e) => e.choices).length),
  };
}

/**
 * A seeded sample of a benchmark: the generation worker fetches the pinned parquet file through the
 * Hub endpoint setting and the verified cache and reads the sample (worker/benchmark.ts), as
 * `t2l eval --benchmark` does, so the same benchmark, size and seed give the same examples and
 * prompts. Offline with nothing cached, the worker's error says so in one sentence.
 */
export async function loadBenchmark(
  name: string,
  options: {
    limit: number;
    seed: number;
    /** Most answer tokens, as `t2l eval --max-tokens` sets them for a benchmark (the reference: 512). */
    maxTokens: number;
    hubEndpoint: string;
    hfToken: string;
  },
): Promise<LoadedSet> {
  const sample = await workerClient().call('benchmark', {
    benchmark: name,
    limit: options.limit,
    seed: options.seed,
    ...(options.hubEndpoint ? { hubEndpoint: options.hubEndpoint } : {}),
    ...(options.hfToken ? { hfToken: options.hfToken } : {}),
  });
  return {
    kind: 'benchmark',
    name: BENCHMARKS[sample.benchmark].title,
    count: sample.examples.length,
    seed: sample.seed,
    ids: sample.examples.map((e) => e.id),
    source: `${sample.source.repo} ${sample.source.file} at ${sample.source.revision}`,
    items: sample.examples.map((e) => ({ ...e.item, maxTokens: options.maxTokens })),
    shown: sample.examples.map((e) => e.prompt),
    template: null,
    system: '',
    note: limitNote('N =', sample.limit, sample.total),
  };
}

/**
 * Scores every model on every example with the core's loop (core/eval/run.ts runEval: the base
 * first, all models on one example before the next, so a cancelled run keeps whole rows). The
 * chat template is code from the GGUF's author and is rendered in the LLM worker, not on this
 * thread: the "prompt" handed through the loop is the item's chat turn, serialized, and `complete`
 * sends it to the worker, which applies the template (keeping an empty system message, as
 * renderItemPrompt does) and appends the prefill. Cancel (signal) returns the finished rows.
 */
export async function scoreModels(
  set: LoadedSet,
  models: RunModel[],
  options: {
    signal: AbortSignal;
    complete: CompleteFn;
    onProgress: (p: AccuracyProgress) => void;
    onRows: (rows: EvalRow[]) => void;
  },
): Promise<{ rows: EvalRow[]; complete: boolean }> {
  const rows: EvalRow[] = [];
  const shown = (index: number) => set.shown[index] ?? '';
  const result = await runEval({
    items: set.items,
    models: models.map((m) => ({ id: m.key, label: m.label, adapter: m.adapter })),
    buildPrompt: (item) =>
      JSON.stringify({ system: item.system, user: item.user, prefill: item.prefill }),
    complete: async (request) => {
      const out = await options.complete(
        JSON.parse(request.prompt) as ChatPromptParts,
        request.adapter,
        request.maxTokens,
        request.rule,
      );
      // The worker answers a cancelled completion with its text so far: not an answer to score.
      if (options.signal.aborted) throw new Error('cancelled');
      return { text: out.text, tokens: 0, stop: STOPS[out.finish] };
    },
    signal: options.signal,
    onProgress: (p) =>
      options.onProgress({
        done: p.done,
        total: p.total,
        perSecond: p.done > 0 ? p.examplesPerSecond : null,
        timeLeft: p.secondsLeft,
      }),
    onRow: (row) => {
      rows.push(pageRow(row, models, shown(row.index)));
      options.onRows([...rows]);
    },
  });
  return {
    rows: result.rows.map((r) => pageRow(r, models, shown(r.index))),
    complete: !result.cancelled,
  };
}

function pageRow(row: CoreRow, models: RunModel[], prompt: string): EvalRow {
  return {
    id: row.id,
    prompt,
    expected: row.expected,
    answers: models.map((m) => ({
      text: row.answers[m.key]!.output,
      correct: row.answers[m.key]!.correct,
    })),
  };
}

/**
 * Accuracy, Wilson 95% interval, and the paired comparison with the base (models[0]) on the same
 * rows, per model: core/eval/run.ts summarize over the page's rows.
 */
export function summarizeRows(models: EvalModel[], rows: EvalRow[]): EvalModelSummary[] {
  const core: CoreRow[] = rows.map((r, index) => ({
    index,
    id: r.id,
    user: r.prompt,
    expected: r.expected,
    rule: 'free',
    answers: Object.fromEntries(
      models.map((m, j) => [
        m.key,
        { output: r.answers[j]!.text, correct: r.answers[j]!.correct, tokens: 0, stop: 'eog' },
      ]),
    ),
  }));
  return summarize(
    models.map((m) => ({ id: m.key, label: m.label, adapter: m.kind === 'base' ? null : m.key })),
    core,
  ).map((s) => ({
    key: s.model.id,
    n: s.accuracy.n,
    correct: s.accuracy.correct,
    accuracy: s.accuracy.accuracy,
    low: s.accuracy.interval.low,
    high: s.accuracy.interval.high,
    vsBase: s.vsBase ? { gained: s.vsBase.gained, lost: s.vsBase.lost, pValue: s.vsBase.p } : null,
  }));
}
