import { parseOwnExamples, scoreModels } from '../../src/app/accuracy/accuracy-core';
import { llmClient } from '../../src/app/shared/llm-client';
import { BENCH_ADAPTER } from './llm-functions';

/**
 * Accuracy runs' throughput in Chromium (scripts/bench/eval-bench.ts), the page's path: the core's
 * parser and loop through accuracy/accuracy-core.ts (parseOwnExamples, scoreModels), each answer
 * from the app's LLM worker as accuracy/accuracy.ts asks for it (the chat turn rendered there with
 * the base's template, greedy, the row's rule for the early stop). Needs `llmLoad` first (the base
 * with the bench adapter mounted). Each model's completions are timed on their own.
 */
async function evalPasses(text: string, maxTokens: number, passes: number) {
  const set = parseOwnExamples(text, 'bench.jsonl', { maxTokens, template: '', system: '' });
  const out = [];
  for (let pass = 0; pass <= passes; pass++) {
    const ms: Record<string, number> = { base: 0, adapter: 0 };
    const tokens: Record<string, number> = { base: 0, adapter: 0 };
    const t = performance.now();
    const result = await scoreModels(
      set,
      [
        { key: 'base', label: 'base', kind: 'base', adapter: null },
        { key: 'adapter', label: 'adapter', kind: 'adapter', adapter: BENCH_ADAPTER },
      ],
      {
        signal: new AbortController().signal,
        complete: async (prompt, adapter, max, rule) => {
          const who = adapter === null ? 'base' : 'adapter';
          const t0 = performance.now();
          const c = await llmClient().call('complete', {
            chat: { ...prompt, useTemplate: true, keepEmptySystem: true },
            lora: [{ id: BENCH_ADAPTER, scale: adapter === null ? 0 : 1 }],
            maxTokens: max,
            decidedBy: rule,
          });
          ms[who]! += performance.now() - t0;
          tokens[who]! += c.tokens;
          return { text: c.text, finish: c.finish };
        },
        onProgress: () => {},
        onRows: () => {},
      },
    );
    const correct = (j: number) => result.rows.filter((r) => r.answers[j]!.correct).length;
    out.push({
      wallMs: performance.now() - t,
      examples: result.rows.length,
      ms,
      tokens,
      correct: { base: correct(0), adapter: correct(1) },
    });
  }
  return out;
}

export const evalFunctions = { evalPasses };
