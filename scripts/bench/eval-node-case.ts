/**
 * Accuracy runs' throughput in Node, `t2l eval`'s path, in its own process:
 * `tsx scripts/bench/eval-node-case.ts <base.gguf> <adapter.gguf> <examples.jsonl> <maxTokens> <passes>`
 * prints one JSON line (EvalCaseResult).
 *
 * The same code as the CLI: the core's parser and prompts (userSetItem, renderItemPrompt with the
 * base's chat template), the core's loop (runEval: the base and the adapter on each example, a
 * choice answer stopped at its letter) and node-llama-cpp through src/node/llama.ts. Each model's
 * completions are timed on their own, so "examples per second" is per model: examples ÷ the seconds
 * that model spent answering them. The first pass warms up; the others are measured.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readGgufHeaderFromFile } from '../../src/cli/try';
import { parseExamples } from '../../src/core/eval/examples';
import { renderItemPrompt, userSetItem } from '../../src/core/eval/protocol';
import { runEval } from '../../src/core/eval/run';
import { baseModelFacts } from '../../src/core/llm/base-check';
import { openLlamaBase } from '../../src/node/llama';
import { evalPassRates, type EvalCaseResult, type EvalPass } from './eval-types';

const [basePath, adapterPath, examplesPath, tokensArg, passesArg] = process.argv.slice(2);
const MAX_TOKENS = Number(tokensArg ?? 16);
const PASSES = Number(passesArg ?? 3);
const THREADS = 2;

const version = (
  JSON.parse(
    readFileSync(
      join(import.meta.dirname, '..', '..', 'node_modules', 'node-llama-cpp', 'package.json'),
      'utf8',
    ),
  ) as { version: string }
).version;

const set = parseExamples(readFileSync(examplesPath!, 'utf8'), { source: examplesPath! });
const items = set.examples.map((e) => userSetItem(e, { maxTokens: MAX_TOKENS }));
const facts = baseModelFacts(await readGgufHeaderFromFile(basePath!), basePath!);
const prompts = new Map(items.map((i) => [i, renderItemPrompt(i, facts.chatTemplate, facts)]));

let t = performance.now();
const llm = await openLlamaBase(basePath!, { threads: THREADS });
const loadMs = performance.now() - t;

const passes: EvalPass[] = [];
try {
  for (let pass = 0; pass <= PASSES; pass++) {
    const ms: Record<string, number> = { base: 0, adapter: 0 };
    const tokens: Record<string, number> = { base: 0, adapter: 0 };
    t = performance.now();
    const result = await runEval({
      items,
      models: [
        { id: 'base', label: 'base', adapter: null },
        { id: 'adapter', label: 'adapter', adapter: adapterPath! },
      ],
      buildPrompt: (item) => prompts.get(item)!,
      complete: async (req) => {
        const who = req.adapter === null ? 'base' : 'adapter';
        const t0 = performance.now();
        const c = await llm.complete(
          llm.tokenize(req.prompt),
          req.maxTokens,
          req.adapter === null ? undefined : { path: req.adapter, scale: 1 },
          { stopWhen: req.isDecided },
        );
        ms[who]! += performance.now() - t0;
        tokens[who]! += c.tokens.length;
        return { text: c.text, tokens: c.tokens.length, stop: c.stop };
      },
    });
    passes.push({
      wallMs: performance.now() - t,
      examples: result.rows.length,
      ms,
      tokens,
      correct: Object.fromEntries(result.summaries.map((s) => [s.model.id, s.accuracy.correct])),
    });
  }
} finally {
  await llm.dispose();
}

const result: EvalCaseResult = {
  runtime: 'node',
  engine: `node-llama-cpp ${version} (t2l eval's path: src/node/llama.ts)`,
  backend: 'cpu',
  threads: THREADS,
  loadMs,
  ...evalPassRates(passes),
};
process.stdout.write(`${JSON.stringify(result)}\n`);
