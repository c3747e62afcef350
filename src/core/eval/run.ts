/**
 * The evaluation loop, independent of the LLM backend (node-llama-cpp in the CLI, wllama in the
 * page's LLM worker): every model — the base model (no adapter, i.e. adapter scale 0) first, then
 * each adapter — answers every item with the same prompt, greedily; each answer is matched by the
 * item's rule; results come back per example and per model.
 *
 * Examples run one after another, all models on one example before the next, so a cancelled run
 * keeps only whole rows (every model answered them) and the paired comparison stays paired.
 */
import { T2LError } from '../errors';
import { matches, outputDecided, type MatchRule } from './matching';
import type { EvalItem } from './protocol';
import { accuracyOf, comparePaired, type Accuracy, type PairedComparison } from './stats';

/** One configuration being scored. */
export interface EvalModel {
  /** Stable key in records ("base", "L", "L int8", "control"…); unique within a run. */
  id: string;
  /** What a table shows. */
  label: string;
  /** The adapter handle the backend knows, or null for the base model. */
  adapter: string | null;
}

export interface CompleteRequest {
  /** The whole prompt string (chat template applied, prefill appended). */
  prompt: string;
  /** Adapter handle, or null: the base model. */
  adapter: string | null;
  /** Most new tokens. */
  maxTokens: number;
  /**
   * Called with the text generated so far; true means more text cannot change the score
   * (matching.ts outputDecided), so the backend may stop there. Both backends honour it after
   * every token (node-llama-cpp: src/node/llama.ts stopWhen; wllama: the page's LLM worker, given
   * `rule`, calls the same outputDecided), so the CLI's and the page's answers stay equal.
   */
  isDecided: (textSoFar: string) => boolean;
  /** The item's matching rule, for a backend across a worker boundary (functions do not cross). */
  rule: MatchRule;
  signal?: AbortSignal;
}

export interface CompleteResult {
  /** The generated text, without the prompt or the prefill. */
  text: string;
  /** New tokens generated. */
  tokens: number;
  /** Why it stopped. */
  stop: 'eog' | 'max-tokens' | 'decided';
}

/** A backend's greedy completion. Rejects with the signal's reason (or any error) when aborted. */
export type CompleteFn = (request: CompleteRequest) => Promise<CompleteResult>;

export interface ModelAnswer {
  output: string;
  correct: boolean;
  tokens: number;
  stop: CompleteResult['stop'];
}

/** One example with every model's answer: a row of the per-example table. */
export interface EvalRow {
  /** 0-based position in the run's items. */
  index: number;
  id: string;
  /** The user message the models saw (the system message and the prefill are the run's). */
  user: string;
  expected: string;
  rule: MatchRule;
  /** By EvalModel.id. */
  answers: Record<string, ModelAnswer>;
}

export interface ModelSummary {
  model: EvalModel;
  accuracy: Accuracy;
  /** Against the base model on the same rows; null for the base itself. */
  vsBase: PairedComparison | null;
}

export interface EvalProgress {
  /** Examples every model has answered. */
  done: number;
  total: number;
  elapsedSeconds: number;
  /** done / elapsedSeconds (0 before the first example finishes). */
  examplesPerSecond: number;
  /** (total − done) / examplesPerSecond; null before the first example finishes. */
  secondsLeft: number | null;
}

export interface EvalResult {
  models: EvalModel[];
  /** Finished rows, in item order (fewer than the items when cancelled). */
  rows: EvalRow[];
  summaries: ModelSummary[];
  total: number;
  cancelled: boolean;
  elapsedSeconds: number;
}

/**
 * The result of scoring `models` on the finished `rows` of `total` items: what runEval returns,
 * and what a caller keeps of a run that failed partway (the rows given to `onRow` before it).
 */
export function evalResult(
  models: readonly EvalModel[],
  rows: EvalRow[],
  total: number,
  cancelled: boolean,
  elapsedSeconds: number,
): EvalResult {
  return {
    models: [...models],
    rows,
    summaries: summarize(models, rows),
    total,
    cancelled,
    elapsedSeconds,
  };
}

export interface RunEvalOptions {
  items: EvalItem[];
  /** The base model (adapter null) first, then the adapters. */
  models: EvalModel[];
  /** An item's full prompt string (protocol.ts renderItemPrompt with the base's chat template). */
  buildPrompt: (item: EvalItem) => string;
  complete: CompleteFn;
  /** Cancel: finished rows are kept and returned with `cancelled: true`. */
  signal?: AbortSignal;
  /** After each finished example. */
  onProgress?: (progress: EvalProgress) => void;
  /** Each finished row, as it finishes (a caller can keep them if the run fails later). */
  onRow?: (row: EvalRow) => void;
  /** Clock in milliseconds (default Date.now); tests pass their own. */
  now?: () => number;
}

/**
 * Accuracy per model over `rows`, and each adapter against the base model (models[0]) on the same
 * rows. Usable on a filtered or partial list of rows.
 */
export function summarize(models: readonly EvalModel[], rows: readonly EvalRow[]): ModelSummary[] {
  const results = (m: EvalModel) => rows.map((r) => r.answers[m.id]?.correct === true);
  const base = models[0] ? results(models[0]) : [];
  return models.map((model, i) => {
    const own = results(model);
    return { model, accuracy: accuracyOf(own), vsBase: i === 0 ? null : comparePaired(base, own) };
  });
}

function checkModels(models: readonly EvalModel[]): void {
  if (models.length === 0 || models[0]!.adapter !== null) {
    throw new T2LError('bad-input', 'an evaluation needs the base model (no adapter) first');
  }
  const ids = new Set<string>();
  for (const m of models) {
    if (ids.has(m.id)) throw new T2LError('bad-input', `two models are both called "${m.id}"`);
    ids.add(m.id);
  }
}

/**
 * Scores every model on every item. All prompts are built first, so a refused chat template fails
 * before any model runs. Cancelling (the signal) stops after the completion under way; the example
 * it belonged to is dropped and the finished rows are returned. Any other failure of `complete` is
 * thrown (rows finished before it were already given to `onRow`).
 */
export async function runEval(options: RunEvalOptions): Promise<EvalResult> {
  const { items, models, complete, signal } = options;
  checkModels(models);
  const now = options.now ?? Date.now;
  const prompts = items.map((item) => options.buildPrompt(item));
  const start = now();
  const rows: EvalRow[] = [];
  let cancelled = false;
  const elapsed = () => (now() - start) / 1000;

  outer: for (let index = 0; index < items.length; index++) {
    const item = items[index]!;
    const answers: Record<string, ModelAnswer> = {};
    for (const model of models) {
      if (signal?.aborted) {
        cancelled = true;
        break outer;
      }
      let result: CompleteResult;
      try {
        result = await complete({
          prompt: prompts[index]!,
          adapter: model.adapter,
          maxTokens: item.maxTokens,
          isDecided: (text) => outputDecided(item.rule, text),
          rule: item.rule,
          ...(signal ? { signal } : {}),
        });
      } catch (e) {
        if (signal?.aborted) {
          cancelled = true;
          break outer;
        }
        throw e;
      }
      answers[model.id] = {
        output: result.text,
        correct: matches(item.rule, result.text, item.expected),
        tokens: result.tokens,
        stop: result.stop,
      };
    }
    const row: EvalRow = {
      index,
      id: item.id,
      user: item.user,
      expected: item.expected,
      rule: item.rule,
      answers,
    };
    rows.push(row);
    options.onRow?.(row);
    const seconds = elapsed();
    const rate = seconds > 0 ? rows.length / seconds : 0;
    options.onProgress?.({
      done: rows.length,
      total: items.length,
      elapsedSeconds: seconds,
      examplesPerSecond: rate,
      secondsLeft: rate > 0 ? (items.length - rows.length) / rate : null,
    });
  }
  return evalResult(models, rows, items.length, cancelled, elapsed());
}
