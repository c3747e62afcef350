/**
 * Accuracy in the page (issue 21), on the demo T2L and the demo base GGUF (llama.cpp in wasm):
 * after one generation, a pasted set is scored for the base model, the adapter and a junk-string
 * control; the page's per-example answers and verdicts equal `t2l eval --json`'s for the same
 * examples; Cancel halfway keeps the finished rows; both reports are in History after a reload; a
 * malformed line is named; the own sets are asked with a template and a system message, given in
 * the page's fields and to `t2l eval --template/--system`, and recorded in the report and History;
 * the template's literal "\n" is said in the panel's note as on the CLI's stderr; the max-tokens
 * field stops at the CLI's limit;
 * axe finds nothing in the panel or in History's kept reports (Compare's Accuracy row is checked in
 * app-compare.spec.ts, on the columns that spec generates anyway). A benchmark sample (ARC-Easy, 2
 * rows, seed 3) comes from the local Hub set as the page's Hub endpoint, with the same rows and
 * verdicts as `t2l eval --benchmark` through the same Hub; with the Hub stopped and nothing cached,
 * another benchmark says it cannot be reached, and the user's own examples run on.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { benchmarkHubRepos } from '../src/fixtures/benchmark-datasets';
import { startLocalHub, writeHubRepos, type LocalHub } from '../test/support/local-hub';
import {
  cliEval as evalWithCli,
  EXAMPLES,
  expectNoViolations,
  finished,
  jsonl,
  MAX_TOKENS,
  pageRows,
  summaryCounts,
  SYSTEM,
  type CliEval,
} from './accuracy-support';
import { chooseBackend, chooseModel } from './app-support';
import { E2E_PORT } from './ports';

test.setTimeout(1_200_000);

/** The benchmarks' datasets (fixture parquet files) on a local Hub, the page's Hub endpoint. */
let hub: LocalHub;
test.beforeAll(async () => {
  const root = await mkdtemp(join(tmpdir(), 't2l-e2e-bench-hub-'));
  await writeHubRepos(root, benchmarkHubRepos());
  hub = await startLocalHub({ root, port: E2E_PORT + 11 });
});
test.afterAll(async () => hub?.stop());

const DESCRIPTION = 'Answer short questions about arithmetic and geography.';
/**
 * The own sets' template, in the page's field and `t2l eval --template` (with SYSTEM). It holds a
 * backslash and an n (as a shell's "…\n…" passes it) before its last line: the page and the CLI
 * both say so (core userTemplateNote), and both send it as it is.
 */
const NOTED_TEMPLATE = 'Question: {prompt}\n{choices}\\nAnswer briefly.';
/** userTemplateNote's words for NOTED_TEMPLATE, written out (the page's note, the CLI's stderr). */
const TEMPLATE_NOTE =
  'the template holds "\\n" as two characters (a backslash and a letter), not a line break';
/**
 * Six rows: free answers and multiple choice (letter, index and choice text). The demo models have
 * random weights, so every answer starts wrong; the test then sets three free rows' expected
 * answers to what the base, the adapter and the control answer (`t2l eval` run first), which
 * leaves every prompt as it was and gives verdicts that differ between the models.
 */
const PROBE = EXAMPLES;

/** PROBE with rows 1, 2 and 5 expecting the base's, the adapter's and the control's answer. */
function fromProbe(probe: CliEval): typeof PROBE {
  return PROBE.map((r, i) =>
    i === 0 || i === 1 || i === 4
      ? { ...r, answer: probe.rows[i]![i === 0 ? 0 : i === 1 ? 1 : 2]!.output }
      : r,
  );
}

async function open(page: Page): Promise<void> {
  page.on('pageerror', (e) => console.log('[page exception]', e.message));
  await page.addInitScript((endpoint) => {
    // The Settings store's own key and shape (shared/settings-store.ts): the local Hub as the endpoint.
    if (!localStorage.getItem('t2l-settings')) {
      localStorage.setItem(
        't2l-settings',
        JSON.stringify({ state: { hubEndpoint: endpoint }, version: 1 }),
      );
    }
  }, hub.endpoint);
  await page.goto('/');
  await expect(page.getByTestId('model-demo-L')).toBeVisible({ timeout: 240_000 });
  await expect(page.getByTestId('backend-status')).not.toContainText('Checking', {
    timeout: 240_000,
  });
}

async function generate(page: Page): Promise<void> {
  await chooseModel(page, 'demo-L');
  await chooseBackend(page, 'wasm');
  await page.locator('#description').fill(DESCRIPTION);
  await page.getByRole('button', { name: 'Generate adapter' }).click();
  await expect(page.getByTestId('result').or(page.getByTestId('error'))).toBeVisible({
    timeout: 400_000,
  });
  await expect(page.getByTestId('result')).toBeVisible();
}

test('Accuracy: a pasted set scored for base, adapter and control; Cancel keeps rows; History after a reload', async ({
  page,
}) => {
  // The CLI's answers on the probe set, while the page opens.
  const probe = cliEval(jsonl(PROBE));
  await open(page);
  await generate(page);
  const ROWS = fromProbe(await probe);
  // The CLI's answers on the full set, beside the page's run of it (they share nothing).
  const cliFull = cliEval(jsonl(ROWS));
  cliFull.catch(() => {}); // awaited below; reported there
  await page.getByTestId('accuracy-toggle').click();
  const panel = page.getByTestId('accuracy-panel');

  // A malformed line is named, and nothing else changes.
  await panel
    .getByTestId('accuracy-examples')
    .fill(`${jsonl(ROWS.slice(0, 2))}\n{"prompt": "broken", "answer": }\n`);
  await panel.getByTestId('accuracy-run').click();
  await expect(panel.getByTestId('accuracy-error-message')).toContainText('line 3');
  await expect(page.getByTestId('result')).toContainText(DESCRIPTION);

  // The whole set: base, adapter and a control from the default junk string.
  await panel.getByTestId('accuracy-examples').fill(jsonl(ROWS));
  // One answer-token limit for the page and t2l eval --max-tokens (core MAX_ANSWER_TOKENS).
  await expect(panel.getByTestId('accuracy-max-tokens')).toHaveAttribute('max', '512');
  await panel.getByTestId('accuracy-max-tokens').fill(String(MAX_TOKENS));
  await panel.getByTestId('accuracy-template').fill(NOTED_TEMPLATE);
  await panel.getByTestId('accuracy-system').fill(SYSTEM);
  await panel.getByTestId('accuracy-run').click();
  await finished(panel, 'accuracy');
  // The template's literal "\n" is said in the panel, as t2l eval says it on stderr (below).
  await expect(panel.getByTestId('accuracy-note')).toContainText(TEMPLATE_NOTE);
  await expect(panel.getByTestId('accuracy-prompts')).toContainText('Question: {prompt}');
  await expect(panel.getByTestId('accuracy-prompts')).toContainText(SYSTEM);
  await expect(panel.getByTestId('accuracy-row')).toHaveCount(ROWS.length);
  const rows = await pageRows(panel, 'accuracy');
  const counts = await summaryCounts(panel, 'accuracy');
  expect(counts.map((c) => c.model)).toEqual(['base', 'adapter', 'control']);
  // The summary counts the table's verdicts.
  for (const [j, c] of counts.entries()) {
    expect(c.n).toBe(ROWS.length);
    expect(c.correct).toBe(rows.filter((r) => r.answers[j]!.correct).length);
  }
  // The adapter changes what the model answers (random demo weights: different gibberish).
  expect(rows.map((r) => r.answers[1]!.text)).not.toEqual(rows.map((r) => r.answers[0]!.text));
  await expect(panel.getByTestId('accuracy-saved')).toBeVisible();

  // "Where they differ": exactly the rows whose verdicts are not all the same.
  const differ = rows.filter((r) => new Set(r.answers.map((a) => a.correct)).size > 1);
  await panel.getByTestId('accuracy-filter').check();
  await expect(panel.getByTestId('accuracy-row')).toHaveCount(differ.length);
  await panel.getByTestId('accuracy-filter').uncheck();

  // The same verdicts, counts and answers as `t2l eval` (node-llama-cpp) for the same examples,
  // adapter and control. Both stop a choice answer at its letter (the core's outputDecided), so
  // the answers are equal, not one the start of the other. Texts are compared trimmed, as app-try
  // does: wllama streams pieces (" Blue"), node-llama-cpp detokenizes the answer at once and drops
  // the first piece's leading space; the matching rules strip it anyway.
  const cli = await cliFull;
  // The probe made the verdicts differ: the base right on row 1, the adapter on row 2.
  expect(rows[0]!.answers[0]!.correct).toBe(true);
  expect(rows[1]!.answers[1]!.correct).toBe(true);
  expect(cli.models).toEqual(['base', expect.stringMatching(/@fp32$/), 'control']);
  expect(cli.protocol).toMatchObject({ template: NOTED_TEMPLATE, system: SYSTEM });
  expect(cli.stderr).toContain(`t2l: note: ${TEMPLATE_NOTE}`);
  expect(cli.summaries.map((c) => [c.correct, c.n])).toEqual(counts.map((c) => [c.correct, c.n]));
  expect(cli.rows.map((r) => r.map((a) => a.correct))).toEqual(
    rows.map((r) => r.answers.map((a) => a.correct)),
  );
  for (const [i, r] of cli.rows.entries()) {
    for (const [j, a] of r.entries()) {
      expect(rows[i]!.answers[j]!.text.trim(), `row ${i + 1}, model ${j}`).toBe(a.output.trim());
    }
  }

  await expectNoViolations(page, 'accuracy-panel');

  // A benchmark sample through the Hub endpoint: the same rows and verdicts as the CLI's.
  const cliBench = cliEval(null, ['--benchmark', 'arc_easy', '--limit', '2', '--seed', '3']);
  await panel.getByTestId('accuracy-control').selectOption('none');
  await panel.getByTestId('accuracy-source-benchmark').check();
  await panel.getByTestId('accuracy-benchmark').selectOption('arc_easy');
  await panel.getByTestId('accuracy-limit').fill('2');
  await panel.getByTestId('accuracy-seed').fill('3');
  await panel.getByTestId('accuracy-run').click();
  await finished(panel, 'accuracy');
  await expect(panel.getByTestId('accuracy-summary')).toContainText('seed 3');
  await expect(panel.getByTestId('accuracy-summary')).toContainText('allenai/ai2_arc');
  const benchRows = await pageRows(panel, 'accuracy');
  const cliB = await cliBench;
  expect(benchRows.map((r) => r.id)).toEqual(cliB.ids);
  expect(cliB.rows.map((r) => r.map((a) => a.correct))).toEqual(
    benchRows.map((r) => r.answers.map((a) => a.correct)),
  );
  // Offline, nothing cached for BoolQ: one clear message; the own examples below still run.
  await hub.stop();
  try {
    await panel.getByTestId('accuracy-benchmark').selectOption('boolq');
    await panel.getByTestId('accuracy-run').click();
    await expect(panel.getByTestId('accuracy-error-message')).toContainText(
      `the Hub at ${new URL(hub.endpoint).host} cannot be reached`,
    );
    await expect(panel.getByTestId('accuracy-error-message')).toContainText('your own examples');
  } finally {
    await hub.start();
  }
  await panel.getByTestId('accuracy-source-own').check();

  // Cancel halfway: a longer set, cancelled after two rows; the finished rows stay, summarized.
  const long = Array.from({ length: 4 }, () => ROWS).flat();
  await panel.getByTestId('accuracy-control').selectOption('none');
  await panel.getByTestId('accuracy-examples').fill(jsonl(long));
  await panel.getByTestId('accuracy-run').click();
  await expect(panel.getByTestId('accuracy-row').nth(1)).toBeVisible({ timeout: 300_000 });
  await panel.getByTestId('accuracy-cancel').click();
  await finished(panel, 'accuracy');
  await expect(panel.getByTestId('accuracy-progress')).toContainText('cancelled');
  const kept = await panel.getByTestId('accuracy-row').count();
  expect(kept).toBeGreaterThanOrEqual(2);
  expect(kept).toBeLessThan(long.length);
  const keptCounts = await summaryCounts(panel, 'accuracy');
  expect(keptCounts.map((c) => c.n)).toEqual([kept, kept]);
  // The rows kept are the first ones, answered as in the full run.
  const keptRows = await pageRows(panel, 'accuracy');
  expect(keptRows.map((r) => r.answers.map((a) => a.text))).toEqual(
    long
      .slice(0, kept)
      .map((_, i) => rows[i % ROWS.length]!.answers.slice(0, 2).map((a) => a.text)),
  );
  await expect(panel.getByTestId('accuracy-saved')).toBeVisible();

  // History, after a reload: the three reports kept with the adapter (newest first: the cancelled
  // one, the benchmark sample with its seed, the full one as shown before).
  await page.reload();
  await page.getByTestId('tab-history').click();
  const item = page.getByTestId('history-item').filter({ hasText: DESCRIPTION });
  await item.getByTestId('history-accuracy').locator('summary').first().click();
  const reports = item.getByTestId('history-accuracy-report');
  await expect(reports).toHaveCount(3);
  await expect(reports.nth(1).locator('summary')).toContainText('ARC-Easy · 2 examples');
  const full = reports.nth(2);
  await full.locator('summary').click();
  expect(await summaryCounts(full, 'history-accuracy')).toEqual(counts);
  await expect(full.getByTestId('history-accuracy-prompts')).toContainText(SYSTEM);
  expect(await pageRows(full, 'history-accuracy')).toEqual(rows);
  await expectNoViolations(page, 'history-list');

  // Reopened from History, the result card brings its latest report back.
  await item.getByTestId('history-open').click();
  await page.getByTestId('accuracy-toggle').click();
  await expect(page.getByTestId('accuracy-row')).toHaveCount(kept);
});

/**
 * `t2l eval --json` for DESCRIPTION on `text` (JSON Lines) with NOTED_TEMPLATE, SYSTEM and the default
 * control, or, with `text` null, on the benchmark sample `more` names, read through the local Hub
 * (no control, the reference's answer lengths).
 */
function cliEval(text: string | null, more: string[] = []): Promise<CliEval> {
  return evalWithCli({
    description: DESCRIPTION,
    examples: text,
    template: NOTED_TEMPLATE,
    args: text === null ? [...more, '--no-control'] : more,
    hubEndpoint: hub.endpoint,
  });
}
