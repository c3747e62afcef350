/**
 * Accuracy runs' throughput, part of `npm run bench` (only this part: `npm run bench --
 * --eval-only`): examples per second for the base model and with an adapter on the demo base, in
 * Node (t2l eval's path, node-llama-cpp: scripts/bench/eval-node-case.ts) and in headless Chromium
 * (the page's path, wllama in the app's LLM worker: e2e/harness/eval-functions.ts), on the same
 * examples with the same prompts and limits. Results go to .bench/results/eval-latest.json and to
 * their own section of docs/benchmarks.md (between the bench-eval markers).
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { CHROMIUM_ARGS } from '../../e2e/chromium-args';
import { parseExamples } from '../../src/core/eval/examples';
import { withHarnessPage } from './browser';
import { BENCH_DIR } from './checkpoints';
import { runChildCase } from './child-case';
import { writeDocsBlock } from './docs-block';
import { evalPassRates, type EvalCaseResult, type EvalPass } from './eval-types';
import { demoAdapter, demoBaseGguf } from './llm';
import { startVite } from './vite-server';

const ROOT = join(import.meta.dirname, '..', '..');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'eval');
const THREADS = 2;

export interface EvalBenchOptions {
  log: (s: string) => void;
  /** Most new tokens per answer (default 16), and measured passes after a warm-up (default 3). */
  maxTokens?: number;
  passes?: number;
  chromiumPath?: string;
  writeDocs?: boolean;
  nodeOnly?: boolean;
  browserOnly?: boolean;
}

export interface EvalBenchRun {
  date: string;
  machine: { cpus: number; cpuModel: string; loadAtStart: number[]; loadAtEnd?: number[] };
  base: string;
  examples: { free: number; choice: number };
  maxTokens: number;
  passes: number;
  node?: EvalCaseResult;
  chromium?: EvalCaseResult;
}

/**
 * The project's two fixture sets as one JSON Lines text: free answers (free.jsonl) and multiple
 * choice (choice.csv, 26 choices a row), read with the core's parser.
 */
function benchExamples(): { text: string; free: number; choice: number } {
  const read = (name: string) =>
    parseExamples(readFileSync(join(FIXTURES, name), 'utf8'), { source: name }).examples;
  const free = read('free.jsonl');
  const choice = read('choice.csv');
  const text = [...free, ...choice]
    .map((e) =>
      JSON.stringify({
        id: e.id,
        prompt: e.prompt,
        ...(e.choices ? { choices: e.choices } : {}),
        answer: e.answer,
      }),
    )
    .join('\n');
  return { text, free: free.length, choice: choice.length };
}

function runNode(base: string, adapter: string, file: string, maxTokens: number, passes: number) {
  return runChildCase<EvalCaseResult>('eval-node-case.ts', [
    base,
    adapter,
    file,
    String(maxTokens),
    String(passes),
  ]).catch((e: Error) => ({ runtime: 'node', error: e.message }) as EvalCaseResult);
}

async function runChromium(
  url: string,
  executablePath: string,
  base: string,
  adapter: string,
  text: string,
  maxTokens: number,
  passes: number,
): Promise<EvalCaseResult> {
  return withHarnessPage({ baseURL: url, executablePath, args: CHROMIUM_ARGS }, async (page) => {
    const load = await page.evaluate(([b, a, n]) => window.t2lHarness.llmLoad(b, a, n, 0), [
      `${url}/${relative(ROOT, base)}`,
      `${url}/${relative(ROOT, adapter)}`,
      THREADS,
    ] as const);
    const all: EvalPass[] = await page.evaluate(
      ([t, m, p]) => window.t2lHarness.evalPasses(t, m, p),
      [text, maxTokens, passes] as const,
    );
    await page.evaluate(() => window.t2lHarness.llmRelease());
    return {
      runtime: 'chromium',
      engine: `${load.engine}, the page's path (accuracy/accuracy-core.ts)`,
      backend: load.backend,
      threads: load.threads,
      loadMs: load.loadMs,
      ...evalPassRates(all),
    };
  });
}

const f = (x: number | null | undefined, d = 0) =>
  x == null || Number.isNaN(x) ? '–' : x.toFixed(d);

/** Whether both runtimes gave the same right answers and token counts (the e2e checks answers). */
function agree(r: EvalBenchRun): string {
  const n = r.node;
  const c = r.chromium;
  if (!n || !c || n.error || c.error) return '';
  const same =
    n.base.correct === c.base.correct &&
    n.adapter.correct === c.adapter.correct &&
    n.base.tokensPerExample === c.base.tokensPerExample &&
    n.adapter.tokensPerExample === c.adapter.tokensPerExample;
  return same
    ? 'Both runtimes got the same answers right and generated the same number of tokens, as the e2e parity check (`e2e/app-accuracy.spec.ts`) requires answer for answer.'
    : 'The runtimes DIFFER in right answers or tokens generated: a parity bug to look into (`e2e/app-accuracy.spec.ts`).';
}

/** The docs section: what ran, and examples per second per model and runtime. */
export function renderEvalReport(r: EvalBenchRun): string {
  const rows: string[] = [];
  for (const c of [r.node, r.chromium]) {
    if (!c) continue;
    if (c.error) {
      rows.push(`| ${c.runtime} | failed: ${c.error} | | | | | |`);
      continue;
    }
    for (const [what, m] of [
      ['base', c.base],
      ['base + adapter', c.adapter],
    ] as const) {
      const e = m.examplesPerSecond;
      // wllama's backend label already says its threads.
      const backend = /threads/.test(c.backend) ? c.backend : `${c.backend}, ${c.threads} threads`;
      rows.push(
        `| ${c.runtime} | ${c.engine}, ${backend} | ${what} | ${f(e.median, 1)} (${f(e.min, 1)}–${f(e.max, 1)}) | ${f(m.tokensPerExample, 1)} | ${m.correct}/${c.examples} |`,
      );
    }
  }
  const pair = (c?: EvalCaseResult) =>
    c && !c.error
      ? `${c.runtime}: ${f(c.pairExamplesPerSecond.median, 2)} examples/s (cold pass ${f(c.coldExamplesPerSecond, 2)}), base load ${f(c.loadMs)} ms`
      : null;
  const load = (xs: number[] | undefined) => (xs ? xs.map((x) => x.toFixed(1)).join('/') : '–');
  return [
    '### Accuracy runs: examples per second (issue 21, item 8)',
    '',
    `\`scripts/bench/eval-bench.ts\`; only this part: \`npm run bench -- --eval-only\`. The demo base (\`${r.base}\`, random weights) answers ${r.examples.free + r.examples.choice} examples (${r.examples.free} free answers from \`test/fixtures/eval/free.jsonl\`, ${r.examples.choice} multiple choice with 26 choices from \`choice.csv\`), first alone (the base) and then with an adapter t2l-web generated for it, greedily, at most ${r.maxTokens} new tokens an answer, a choice answer stopped at its letter. Node runs \`t2l eval\`'s path (the core's loop, node-llama-cpp; a fresh context per answer, as the CLI does); Chromium the page's (the core's loop through \`accuracy/accuracy-core.ts\`, wllama in the app's LLM worker). Examples per second of a model: examples ÷ the seconds its answers took; median (min–max) over ${r.passes} passes after a warm-up pass.`,
    '',
    `Measured ${r.date.slice(0, 10)} on ${r.machine.cpus} CPUs (${r.machine.cpuModel}), load ${load(r.machine.loadAtStart)} at the start and ${load(r.machine.loadAtEnd)} at the end: the CPUs were shared with other work, so these figures are rough.`,
    '',
    '| runtime | engine, backend, threads | model | examples/s median (min–max) | new tokens an example | right |',
    '| --- | --- | --- | --: | --: | --: |',
    ...rows,
    '',
    `Both models on each example (what a run's progress shows): ${[pair(r.node), pair(r.chromium)].filter(Boolean).join('; ')}.`,
    '',
    `The demo base has a few hundred kB of weights, so these figures are the engines’ fixed costs per answer (prompt evaluation, context set-up, worker round trips), not a real model’s arithmetic. ${agree(r)}`,
  ].join('\n');
}

/** Runs the accuracy-run benchmark and writes its results (and, unless told not to, its docs). */
export async function runEvalBench(o: EvalBenchOptions): Promise<EvalBenchRun> {
  const maxTokens = o.maxTokens ?? 16;
  const passes = o.passes ?? 3;
  const base = demoBaseGguf();
  const adapter = demoAdapter(o.log);
  const examples = benchExamples();
  const dir = join(BENCH_DIR, 'eval');
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'examples.jsonl');
  await writeFile(file, `${examples.text}\n`);
  const run: EvalBenchRun = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', loadAtStart: loadavg() },
    base: relative(ROOT, base),
    examples: { free: examples.free, choice: examples.choice },
    maxTokens,
    passes,
  };
  const said = (c: EvalCaseResult) =>
    c.error
      ? `eval ${c.runtime}: FAILED ${c.error}`
      : `eval ${c.runtime}: base ${f(c.base.examplesPerSecond.median, 1)} examples/s, with the adapter ${f(c.adapter.examplesPerSecond.median, 1)}`;
  if (!o.browserOnly) {
    run.node = await runNode(base, adapter, file, maxTokens, passes);
    o.log(said(run.node));
  }
  if (!o.nodeOnly) {
    const vite = await startVite();
    try {
      run.chromium = await runChromium(
        vite.url,
        o.chromiumPath ?? '/usr/bin/chromium',
        base,
        adapter,
        examples.text,
        maxTokens,
        passes,
      ).catch(
        (e: Error) => ({ runtime: 'chromium', error: e.message.split('\n')[0] }) as EvalCaseResult,
      );
    } finally {
      vite.child.kill();
    }
    o.log(said(run.chromium));
  }
  run.machine.loadAtEnd = loadavg();
  await mkdir(join(BENCH_DIR, 'results'), { recursive: true });
  await writeFile(
    join(BENCH_DIR, 'results', 'eval-latest.json'),
    `${JSON.stringify(run, null, 2)}\n`,
  );
  if (o.writeDocs !== false) await writeDocsBlock('bench-eval', renderEvalReport(run));
  return run;
}
