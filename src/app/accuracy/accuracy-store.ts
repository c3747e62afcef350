/**
 * Accuracy runs in the page: one panel per place that scores models (the Generate view's result
 * card, 'result'; Compare's Accuracy row, 'compare'), each with its form, progress and report; and
 * the reports kept with History entries, by entry id. State only: accuracy/accuracy.ts runs them.
 */
import { create } from 'zustand';
import { DEFAULT_CONTROL_DESCRIPTION, REFERENCE_MAX_TOKENS } from '../../core/eval/protocol';
import type { EvalReport } from './accuracy-report';

export const BENCHMARKS = [
  'arc_easy',
  'arc_challenge',
  'boolq',
  'hellaswag',
  'openbookqa',
  'piqa',
  'winogrande',
  'gsm8k',
] as const;
export type BenchmarkName = (typeof BENCHMARKS)[number];

/** The control adapter's default description: the core's junk string, as `t2l eval` uses. */
export const DEFAULT_JUNK = DEFAULT_CONTROL_DESCRIPTION;

/** The reference's most answer tokens (512): benchmarks' default (the field's maximum is core MAX_ANSWER_TOKENS). */
export const BENCHMARK_MAX_TOKENS = REFERENCE_MAX_TOKENS;

export interface AccuracyForm {
  source: 'own' | 'benchmark';
  /** Pasted or picked JSONL/CSV text, and the picked file's name (null: pasted). */
  text: string;
  fileName: string | null;
  benchmark: BenchmarkName;
  /** Benchmark sample size and seed. */
  limit: number;
  seed: number;
  /** Control adapter: none, a junk string, or an unrelated description (controlText). */
  control: 'none' | 'junk' | 'description';
  controlText: string;
  /**
   * Your own examples: a template for every row's user message ({prompt}, {choices}; '' for the
   * defaults) and a system message for every row ('' sends an empty one), as `t2l eval
   * --template/--system`.
   */
  template: string;
  system: string;
  /** Most answer tokens per example: own examples, and benchmarks (the reference's 512 unless lowered). */
  maxTokens: number;
  benchmarkMaxTokens: number;
}

export interface AccuracyProgress {
  /** Examples finished by every model, out of total. */
  done: number;
  total: number;
  /** Examples per second so far, and seconds left at that rate (null until one is done). */
  perSecond: number | null;
  timeLeft: number | null;
}

export interface AccuracyPanel {
  form: AccuracyForm;
  status: 'idle' | 'preparing' | 'running' | 'done' | 'cancelled' | 'error';
  /** What is happening now (loading the base, generating the control). */
  stage: string | null;
  progress: AccuracyProgress | null;
  /** Finished rows so far while running; the whole report after (also after Cancel). */
  report: EvalReport | null;
  /** A problem with the input (named line and field) or the run. */
  error: { title: string; message: string } | null;
  /** Per-example table: every row, or only those where the models' verdicts differ. */
  filter: 'all' | 'differ';
  /** The History entry the report was kept with, or why it was not kept. */
  savedTo: number | null;
  saveNote: string | null;
  /** Something the run did differently from what was asked (a sample larger than its set). */
  note: string | null;
}

export const defaultForm = (): AccuracyForm => ({
  source: 'own',
  text: '',
  fileName: null,
  benchmark: 'arc_easy',
  limit: 50,
  seed: 0,
  control: 'junk',
  controlText: '',
  template: '',
  system: '',
  maxTokens: 16,
  benchmarkMaxTokens: BENCHMARK_MAX_TOKENS,
});

export const emptyAccuracyPanel = (): AccuracyPanel => ({
  form: defaultForm(),
  status: 'idle',
  stage: null,
  progress: null,
  report: null,
  error: null,
  filter: 'all',
  savedTo: null,
  saveNote: null,
  note: null,
});

export interface AccuracyState {
  /** Whether the Generate view's Accuracy panel is open. */
  open: boolean;
  panels: Record<string, AccuracyPanel>;
  /** Reports kept with History entries, newest last (null: not read yet). */
  saved: Record<number, EvalReport[] | null>;
}

export const useAccuracy = create<AccuracyState>()(() => ({ open: false, panels: {}, saved: {} }));
