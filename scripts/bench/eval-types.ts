import { stats, type Stats } from './types';

/** One pass of the whole example set: the base and the adapter on every example. */
export interface EvalPass {
  /** The pass from start to end (both models, and the loop's own work). */
  wallMs: number;
  examples: number;
  /** Milliseconds each model ('base', 'adapter') spent in its completions. */
  ms: Record<string, number>;
  /** New tokens each model generated. */
  tokens: Record<string, number>;
  /** Right answers per model (the same in every pass: greedy decoding). */
  correct: Record<string, number>;
}

/** Examples per second of one model over the warm passes. */
export interface EvalRate {
  examplesPerSecond: Stats;
  /** Mean new tokens per example (choice answers stop at their letter). */
  tokensPerExample: number;
  correct: number;
}

/** Accuracy-run throughput in one runtime (Node: t2l eval's path; Chromium: the page's). */
export interface EvalCaseResult {
  runtime: 'node' | 'chromium';
  engine: string;
  backend: string;
  threads: number;
  /** Loading the base GGUF (Chromium: with the adapter mounted, into the app's LLM worker). */
  loadMs: number;
  examples: number;
  /** The first pass (cold: first contexts, caches), both models, examples per second. */
  coldExamplesPerSecond: number;
  /** Both models on each example, as a run shows it in its progress, over the warm passes. */
  pairExamplesPerSecond: Stats;
  base: EvalRate;
  adapter: EvalRate;
  passes: EvalPass[];
  error?: string;
}

/** The figures of a list of passes, the first one (cold) left out of the statistics. */
export function evalPassRates(
  passes: EvalPass[],
): Omit<EvalCaseResult, 'runtime' | 'engine' | 'backend' | 'threads' | 'loadMs'> {
  const warm = passes.slice(1);
  const rate = (who: string): EvalRate => ({
    examplesPerSecond: stats(warm.map((p) => p.examples / (p.ms[who]! / 1000))),
    tokensPerExample: warm.length ? warm[0]!.tokens[who]! / warm[0]!.examples : NaN,
    correct: passes[0]?.correct[who] ?? NaN,
  });
  const cold = passes[0];
  return {
    examples: cold?.examples ?? 0,
    coldExamplesPerSecond: cold ? cold.examples / (cold.wallMs / 1000) : NaN,
    pairExamplesPerSecond: stats(warm.map((p) => p.examples / (p.wallMs / 1000))),
    base: rate('base'),
    adapter: rate('adapter'),
    passes,
  };
}
