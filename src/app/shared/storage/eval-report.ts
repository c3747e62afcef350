/**
 * The shape of an accuracy report (accuracy/accuracy-report.ts lays it out; accuracy/accuracy.ts
 * makes it): the models scored, one row per example (each model's answer and whether it matched)
 * and per-model summaries. Here, beside the History's database, because History keeps each report
 * with the entries of the adapters it scored.
 */

export interface EvalModel {
  /** 'base', 'adapter', 'control', or a Compare column's 'col-<i>'. */
  key: string;
  label: string;
  kind: 'base' | 'adapter' | 'control';
}

export interface EvalAnswer {
  text: string;
  correct: boolean;
}

export interface EvalRow {
  /** The example's id (its line in the file, or the benchmark's id). */
  id: string;
  prompt: string;
  expected: string;
  /** One per model, in `models` order. */
  answers: EvalAnswer[];
}

export interface EvalModelSummary {
  key: string;
  n: number;
  correct: number;
  /** correct / n, in [0, 1]. */
  accuracy: number;
  /** Wilson 95% interval, in [0, 1]. */
  low: number;
  high: number;
  /** Paired with the base on the same examples (null for the base itself). */
  vsBase: { gained: number; lost: number; pValue: number } | null;
}

export interface EvalReport {
  /** When the run ended, ms since the epoch. */
  at: number;
  set: {
    kind: 'own' | 'benchmark';
    /** File name, "pasted", or the benchmark's name. */
    name: string;
    /** Examples in the set (rows may be fewer after a Cancel). */
    total: number;
    seed?: number;
    /** A benchmark's dataset file: "allenai/ai2_arc ARC-Easy/test-….parquet at <commit>". */
    source?: string;
  };
  baseName: string;
  maxTokens: number;
  /**
   * Own examples: the template every row's user message was made with (null or absent: the
   * defaults, the prompt as it is and choices in the reference's ARC layout), and the system
   * message sent with every row ("" or absent: an empty one). Benchmarks: the reference's prompts.
   */
  template?: string | null;
  system?: string;
  /** The control adapter's description, when one ran. */
  control: string | null;
  /**
   * 'compare': Compare's Accuracy row (its columns' adapters, kept with each column's History
   * entry); absent: the Generate view's panel (the base, this adapter and the control).
   */
  origin?: 'compare';
  models: EvalModel[];
  rows: EvalRow[];
  summaries: EvalModelSummary[];
  /** false: cancelled or stopped by an error; the rows are those that finished. */
  complete: boolean;
  /** Why the run stopped before the end, when an error (not Cancel) stopped it. */
  error?: string;
}
