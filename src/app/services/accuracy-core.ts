/**
 * The one place the page reaches the core's evaluation code (src/core/eval): example sets,
 * benchmarks, the reference's prompts and answer matching, the run loop and the statistics. The
 * page never matches answers or computes an interval itself, so its numbers are `t2l eval`'s.
 * This file only converts the core's shapes to the page's report (accuracy-report.ts).
 */
import type { AccuracyProgress } from '../stores/accuracy';
import type { EvalModel, EvalModelSummary, EvalRow } from './accuracy-report';

/** An example set ready to run: the core's examples, opaque to the page. */
export interface LoadedSet {
  kind: 'own' | 'benchmark';
  name: string;
  count: number;
  seed?: number;
  /** The task's answer length, where the reference sets one (benchmarks). */
  maxTokens?: number;
  examples: unknown;
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

export type CompleteFn = (
  prompt: ChatPromptParts,
  adapter: string | null,
  maxTokens: number,
) => Promise<string>;

const notYet = () =>
  new Error('Scoring is not available in this build yet (the evaluation core is missing).');

/** Refuses a picked file by its size before it is read (empty, or too large). */
export function checkPickedFile(size: number, name: string): void {
  void size;
  void name;
  throw notYet();
}

/** Parses pasted or picked JSONL/CSV; a T2LError names the line and the field. */
export function parseOwnExamples(text: string, name: string): LoadedSet {
  void text;
  void name;
  throw notYet();
}

/** A seeded sample of a benchmark from the Hub endpoint, or a clear error when it cannot be read. */
export async function loadBenchmark(
  name: string,
  options: { limit: number; seed: number; hubEndpoint: string; hfToken: string },
): Promise<LoadedSet> {
  void options;
  throw new Error(
    `The ${name} benchmark cannot be fetched in this page: reading benchmarks from the Hugging Face Hub is not available here. Your own examples still work.`,
  );
}

/** Scores every model on every example in turn; Cancel (signal) keeps the finished rows. */
export async function scoreModels(
  set: LoadedSet,
  models: RunModel[],
  options: {
    maxTokens: number;
    signal: AbortSignal;
    complete: CompleteFn;
    onProgress: (p: AccuracyProgress) => void;
    onRows: (rows: EvalRow[]) => void;
  },
): Promise<{ rows: EvalRow[]; complete: boolean }> {
  void set;
  void models;
  void options;
  throw notYet();
}

/** Accuracy, Wilson 95% interval, and the paired comparison with the base, per model. */
export function summarizeRows(models: EvalModel[], rows: EvalRow[]): EvalModelSummary[] {
  void models;
  void rows;
  return [];
}
