/**
 * What the two specs that score examples in the page share (app-accuracy.spec.ts: the Generate
 * view's Accuracy panel; app-compare.spec.ts: Compare's Accuracy row): the examples, their
 * template and system message, readers of the panels' tables, and `t2l eval --json` on the same
 * examples for the answers to compare with.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, type Locator, type Page } from '@playwright/test';
import { DEMO, runT2l } from './app-support';

/** Answer tokens per example, in the page's field and `t2l eval --max-tokens`. */
export const MAX_TOKENS = 4;
/** The examples' template and system message, in the page's fields and `t2l eval --template/--system`. */
export const TEMPLATE = 'Question: {prompt}\n{choices}\nAnswer briefly.';
export const SYSTEM = 'You answer in one word.';
/** Six rows: free answers and multiple choice (letter, index and choice text). */
export const EXAMPLES = [
  { prompt: 'What is 2 + 3?', answer: '5' },
  { prompt: 'Name the colour of a clear sky.', answer: 'blue' },
  { prompt: 'Is water wet?', choices: ['yes', 'no'], answer: 'A' },
  { prompt: 'Pick the largest number.', choices: ['3', '7', '5'], answer: 1 },
  { prompt: 'What is the capital of France?', answer: 'Paris' },
  { prompt: 'Which is a fruit?', choices: ['apple', 'stone', 'car', 'cloud'], answer: 'apple' },
];

/** Rows as JSON Lines, as pasted into the page and written for `t2l eval --examples`. */
export const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n');

/**
 * Waits until a panel's run ends (its Run button enabled again, within `timeout` ms), failing
 * with the panel's error if it shows one.
 */
export async function finished(
  scope: Page | Locator,
  prefix: string,
  timeout = 600_000,
): Promise<void> {
  await expect(scope.getByTestId(`${prefix}-run`)).toBeEnabled({ timeout });
  if (await scope.getByTestId(`${prefix}-error`).isVisible()) {
    throw new Error(`${prefix}: ${await scope.getByTestId(`${prefix}-error`).innerText()}`);
  }
}

/** axe-core, as app-a11y.spec.ts runs it, on one part of the page with its results shown. */
export async function expectNoViolations(page: Page, testId: string): Promise<void> {
  const results = await new AxeBuilder({ page }).include(`[data-testid="${testId}"]`).analyze();
  const found = results.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`,
  );
  expect(found, `axe on ${testId}`).toEqual([]);
}

export interface PageRow {
  id: string;
  answers: { text: string; correct: boolean }[];
}

/** The per-example table as the page shows it: each model's answer and verdict, per row. */
export async function pageRows(scope: Page | Locator, prefix: string): Promise<PageRow[]> {
  return scope.getByTestId(`${prefix}-row`).evaluateAll((rows) =>
    rows.map((r) => ({
      id: r.getAttribute('data-id') ?? '',
      answers: [...r.querySelectorAll('td[data-correct]')].map((td) => ({
        text: td.querySelector('[data-testid$="-answer"]')?.textContent ?? '',
        correct: td.getAttribute('data-correct') === '1',
      })),
    })),
  );
}

/** Right answers per model, from the summary table's data attributes. */
export async function summaryCounts(scope: Page | Locator, prefix: string) {
  return scope.getByTestId(`${prefix}-model`).evaluateAll((rows) =>
    rows.map((r) => ({
      model: r.getAttribute('data-model'),
      correct: Number(r.getAttribute('data-correct')),
      n: Number(r.getAttribute('data-n')),
    })),
  );
}

export interface CliEval {
  /** The examples' ids, in order. */
  ids: string[];
  /** The template and system message the CLI records having used. */
  protocol: { template: string | null; system: string };
  /** What it said on stderr (notes, progress). */
  stderr: string;
  models: string[];
  summaries: { correct: number; n: number }[];
  /** Per example, per model (in `models` order). */
  rows: { output: string; correct: boolean; stop: string }[][];
}

export interface CliEvalOptions {
  /** The adapter's description (the demo T2L-L package, the demo encoder). */
  description: string;
  /**
   * Examples as JSON Lines, asked with MAX_TOKENS, `template` and SYSTEM; null when `args` name
   * the source (a benchmark sample).
   */
  examples: string | null;
  /** The examples' template (default TEMPLATE). */
  template?: string;
  /** More arguments: '--no-control', a benchmark and its sample. */
  args?: string[];
  /** Benchmarks are read from this Hub (HF_ENDPOINT), with an empty HF_HOME of the run's own. */
  hubEndpoint?: string;
}

/**
 * `t2l eval --json` on the demo base GGUF (one thread) for the base, the adapter and, unless
 * `args` say '--no-control', the default control: the CLI's ids, protocol, summaries and
 * per-example answers.
 */
export async function cliEval(o: CliEvalOptions): Promise<CliEval> {
  const dir = await mkdtemp(join(tmpdir(), 't2l-accuracy-'));
  try {
    const file = join(dir, 'examples.jsonl');
    if (o.examples !== null) await writeFile(file, o.examples);
    const source =
      o.examples !== null
        ? [
            '--examples',
            file,
            '--max-tokens',
            String(MAX_TOKENS),
            '--template',
            o.template ?? TEMPLATE,
            '--system',
            SYSTEM,
          ]
        : [];
    const { stdout, stderr } = await runT2l(
      [
        'eval',
        join(DEMO, 'packages', 'L'),
        '--encoder',
        join(DEMO, 'encoder'),
        '--description',
        o.description,
        '--base',
        join(DEMO, 'base', 'tiny-llama.gguf'),
        ...source,
        ...(o.args ?? []),
        '--threads',
        '1',
        '--json',
      ],
      o.hubEndpoint ? { HF_ENDPOINT: o.hubEndpoint, HF_HOME: join(dir, 'hf') } : {},
    );
    const out = JSON.parse(stdout) as {
      protocol: { template: string | null; system: string };
      models: { id: string }[];
      summaries: { correct: number; n: number }[];
      rows: {
        id: string;
        answers: Record<string, { output: string; correct: boolean; stop: string }>;
      }[];
    };
    const models = out.models.map((m) => m.id);
    return {
      ids: out.rows.map((r) => r.id),
      protocol: out.protocol,
      stderr,
      models,
      summaries: out.summaries,
      rows: out.rows.map((r) => models.map((m) => r.answers[m]!)),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
