import { readFile } from 'node:fs/promises';
import { expect, test, type Download, type Locator, type Page } from '@playwright/test';
import { parseSafetensorsIndependently } from '../test/support/independent-safetensors';
import {
  cliEval,
  EXAMPLES,
  expectNoViolations,
  finished,
  jsonl,
  MAX_TOKENS,
  pageRows,
  summaryCounts,
  SYSTEM,
  TEMPLATE,
} from './accuracy-support';
import { openApp, unzipByName } from './app-support';

/**
 * Compare, charts, blend, Compare's Accuracy row, history and share links in real headless
 * Chromium with the demo models (wasm; one column on WebGPU). Numbers are read from the charts'
 * table views and CSVs.
 *
 * One page for the whole file (serial: a failed test skips the rest): each test starts from the
 * tab it needs, so the app, its workers and the models they hold start once instead of six times.
 * The History checks name their own entries (the page keeps the earlier tests' ones); the
 * description comparison runs first, while the History is still empty, for its exact list.
 */
test.describe.configure({ mode: 'serial' });

let page: Page;
test.beforeAll(async ({ browser }) => {
  page = await (await browser.newContext()).newPage();
  await openApp(page);
});
test.afterAll(async () => page?.context().close());

async function saved(
  page: Page,
  click: () => Promise<void>,
): Promise<{ name: string; bytes: Uint8Array }> {
  const [download] = await Promise.all([page.waitForEvent('download'), click()]);
  return { name: download.suggestedFilename(), bytes: await bytesOf(download) };
}

async function bytesOf(download: Download): Promise<Uint8Array> {
  return new Uint8Array(await readFile(await download.path()));
}

async function runComparison(page: Page, columns: number): Promise<void> {
  await page.getByTestId('run-compare').click();
  for (let i = 0; i < columns; i++) {
    const col = page.getByTestId(`compare-column-${i}`);
    await expect(col).toHaveAttribute('data-status', /done|error/, { timeout: 170_000 });
    if ((await col.getAttribute('data-status')) === 'error') {
      throw new Error(`column ${i} failed: ${await col.innerText()}`);
    }
  }
  await expect(page.getByTestId('run-compare')).toHaveText('Compare');
}

/** The numbers of a chart's table view, by row (data-value holds full precision). */
async function tableNumbers(card: Locator, testId: string): Promise<(number | null)[][]> {
  await card.getByTestId(`${testId}-table-toggle`).click();
  const table = card.getByTestId(`${testId}-table`);
  await expect(table).toBeVisible();
  const rows = await table
    .locator('tbody tr')
    .evaluateAll((trs) =>
      trs.map((tr) =>
        [...tr.querySelectorAll('td')].map((td) => td.getAttribute('data-value') ?? ''),
      ),
    );
  await card.getByTestId(`${testId}-table-toggle`).click();
  return rows.map((r) => r.map((v) => (v === '' ? null : Number(v))));
}

function parseCsv(text: string): string[][] {
  return text
    .trim()
    .split(/\r?\n/)
    .map((l) => l.split(','));
}

function expectSymmetricWithUnitDiagonal(m: (number | null)[][], n: number): void {
  expect(m).toHaveLength(n);
  for (let i = 0; i < n; i++) {
    expect(m[i]).toHaveLength(n);
    expect(m[i]![i]).toBeCloseTo(1, 6);
    for (let j = 0; j < n; j++) {
      expect(m[i]![j]).not.toBeNull();
      expect(Math.abs(m[i]![j]!)).toBeLessThanOrEqual(1 + 1e-6);
      expect(m[i]![j]).toBeCloseTo(m[j]![i]!, 12);
    }
  }
}

/** The chart is an ECharts SVG with drawn marks (one per heatmap cell or bar at least). */
async function expectChartDrawn(page: Page, testId: string, minMarks: number): Promise<void> {
  const chart = page.getByTestId(testId);
  await expect(chart).toHaveAttribute('role', 'img');
  const svg = chart.locator('svg').first();
  await expect(svg).toBeVisible();
  const marks = await svg.locator('path, rect').count();
  expect(marks, `${testId} marks`).toBeGreaterThanOrEqual(minMarks);
  expect(await overlappingTexts(page, testId), `${testId}: texts drawn over each other`).toEqual(
    [],
  );
}

/**
 * The pairs of visible texts of a chart's SVG whose boxes overlap by more than a pixel each way
 * (e.g. the colour scale's numbers over an axis's labels), as "text A / text B".
 */
async function overlappingTexts(page: Page, testId: string): Promise<string[]> {
  return page
    .getByTestId(testId)
    .locator('svg')
    .first()
    .evaluate((svg) => {
      const boxes = [...svg.querySelectorAll('text')]
        .filter((t) => (t.textContent ?? '').trim() !== '')
        .filter((t) => {
          const style = getComputedStyle(t);
          return style.visibility !== 'hidden' && style.display !== 'none' && style.opacity !== '0';
        })
        .map((t) => ({ text: t.textContent!.trim(), box: t.getBoundingClientRect() }))
        .filter(({ box }) => box.width > 0 && box.height > 0);
      const overlaps: string[] = [];
      for (let i = 0; i < boxes.length; i++)
        for (let j = i + 1; j < boxes.length; j++) {
          const a = boxes[i]!.box;
          const b = boxes[j]!.box;
          const x = Math.min(a.right, b.right) - Math.max(a.left, b.left);
          const y = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
          if (x > 1 && y > 1) overlaps.push(`${boxes[i]!.text} / ${boxes[j]!.text}`);
        }
      return overlaps;
    });
}

/** ‖scale·B·A‖_F formed explicitly from the downloaded safetensors (float64). */
function explicitNorm(
  tensors: Map<string, { shape: number[]; values: Float32Array }>,
  layer: number,
  module: string,
  scale: number,
): number {
  const find = (part: string) =>
    [...tensors.entries()].find(([k]) =>
      new RegExp(`layers\\.${layer}\\..*${module}\\.${part}`).test(k),
    )![1];
  const A = find('lora_A');
  const B = find('lora_B');
  const [r, inF] = A.shape as [number, number];
  const outF = B.shape[0]!;
  let sum = 0;
  for (let o = 0; o < outF; o++)
    for (let i = 0; i < inF; i++) {
      let s = 0;
      for (let k = 0; k < r; k++) s += B.values[o * r + k]! * A.values[k * inF + i]!;
      sum += s * s;
    }
  return scale * Math.sqrt(sum);
}

test('one configuration on three descriptions; the history keeps them across a reload, byte for byte', async () => {
  const testInfo = test.info();
  await page.getByTestId('tab-compare').click();
  await page.getByTestId('compare-mode-descriptions').click();
  await page.getByTestId('single-model').selectOption('demo-S');
  await page.getByTestId('single-backend').selectOption('wasm');
  const descriptions = [
    'Answer questions about chemistry.',
    'Write Python functions from docstrings.',
    'Classify the sentiment of tweets.',
  ];
  for (const [i, d] of descriptions.entries()) {
    await page.getByTestId(`compare-description-${i}`).fill(d);
  }
  await runComparison(page, 3);
  await expectChartDrawn(page, 'chart-cosine-canvas', 9);
  await page.getByTestId('compare-results').screenshot({
    path: testInfo.outputPath('compare-descriptions.png'),
  });
  const matrix = await tableNumbers(page.getByTestId('chart-cosine'), 'chart-cosine');
  expectSymmetricWithUnitDiagonal(matrix, 3);
  // Different descriptions give different adapters.
  expect(matrix[0]![1]).toBeLessThan(1 - 1e-6);

  const fromColumns: Uint8Array[] = [];
  for (let i = 0; i < 3; i++) {
    fromColumns.push(
      (await saved(page, () => page.getByTestId(`compare-column-${i}-zip`).click())).bytes,
    );
  }

  // History: newest first, all three, searchable.
  await page.getByTestId('tab-history').click();
  const items = page.getByTestId('history-item');
  await expect(items).toHaveCount(3);
  await expect(items.getByTestId('history-description')).toHaveText([...descriptions].reverse());
  await page.getByTestId('history-search').fill('python');
  await expect(items).toHaveCount(1);
  await expect(items.first()).toContainText('Write Python functions');
  await page.getByTestId('history-search').fill('');

  // After a reload every adapter is still listed, and re-downloads the very same bytes.
  await page.reload();
  await page.getByTestId('tab-history').click();
  await expect(items).toHaveCount(3);
  await expect(items.getByTestId('history-description')).toHaveText([...descriptions].reverse());
  for (const [k, d] of descriptions.entries()) {
    const item = items.filter({ hasText: d });
    const zip = await saved(page, () => item.getByTestId('history-zip').click());
    expect(zip.name).toMatch(/^t2l-.*\.zip$/);
    expect(Buffer.from(zip.bytes).equals(Buffer.from(fromColumns[k]!))).toBe(true);
    const st = await saved(page, () => item.getByTestId('history-safetensors').click());
    expect(
      Buffer.from(st.bytes).equals(
        Buffer.from(unzipByName(fromColumns[k]!)['adapter_model.safetensors']!),
      ),
    ).toBe(true);
  }

  // Delete one: gone, and still gone after a reload.
  await items.filter({ hasText: descriptions[0]! }).getByTestId('history-delete').click();
  await expect(items).toHaveCount(2);
  await page.reload();
  await page.getByTestId('tab-history').click();
  await expect(items).toHaveCount(2);

  // The share link of an entry reproduces its settings in the Generate view.
  const href = await items
    .filter({ hasText: descriptions[1]! })
    .getByTestId('history-link')
    .getAttribute('href');
  expect(href).toContain('model=demo-S');
  await page.goto(href!);
  await expect(page.getByTestId('model-demo-S').locator('input')).toBeChecked();
  await expect(page.locator('#description')).toHaveValue(descriptions[1]!);
  await expect(
    page.getByRole('radiogroup', { name: 'Backend' }).getByRole('radio', { name: /wasm/ }),
  ).toBeChecked();
});

test('three configurations (demo L, M, S) on one description: columns, charts, numbers, download; the Accuracy row over the three columns, kept in History', async () => {
  const testInfo = test.info();
  // One generation of the columns serves the charts and the Accuracy row (moved here from
  // app-accuracy.spec.ts, which generated two more columns for it).
  test.setTimeout(600_000);
  // `t2l eval`'s answers for the base model, beside the page's work (it needs nothing from it).
  const cliBase = cliBaseAnswers(COMPARE_DESCRIPTION);
  cliBase.catch(() => {}); // awaited below; reported there
  await page.getByTestId('tab-compare').click();
  await page.getByTestId('compare-mode-configs').click();
  await page.getByTestId('compare-description').fill(COMPARE_DESCRIPTION);
  for (const [i, id] of ['demo-L', 'demo-M', 'demo-S'].entries()) {
    await page.getByTestId(`config-${i}-model`).selectOption(id);
    await page.getByTestId(`config-${i}-backend`).selectOption(i === 2 ? 'webgpu' : 'wasm');
  }
  await runComparison(page, 3);

  for (const [i, v] of ['L', 'M', 'S'].entries()) {
    await expect(page.getByTestId(`compare-column-${i}-variant`)).toContainText(`T2L-${v}`);
    await expect(page.getByTestId(`compare-column-${i}-size`)).toContainText('safetensors');
    await expect(page.getByTestId(`compare-column-${i}-time`)).toContainText(/\d/);
  }
  await expect(page.getByTestId('compare-column-0-backend')).toHaveAttribute(
    'data-backend',
    'wasm',
  );
  await expect(page.getByTestId('compare-column-2-backend')).toHaveAttribute(
    'data-backend',
    'webgpu',
  );

  // The charts are drawn (ECharts SVG): 3×3 cosine cells, 4 layers × 2 modules per heatmap, bars.
  await expectChartDrawn(page, 'chart-cosine-canvas', 9);
  await expectChartDrawn(page, 'chart-stages-canvas', 3);
  for (let i = 0; i < 3; i++) await expectChartDrawn(page, `chart-norms-${i}-canvas`, 8);
  await expect(page.getByTestId('chart-cosine-canvas').locator('svg')).toContainText('1.000');
  await page.getByTestId('compare-results').screenshot({
    path: testInfo.outputPath('compare-configurations.png'),
  });
  await testInfo.attach('compare-configurations', {
    path: testInfo.outputPath('compare-configurations.png'),
    contentType: 'image/png',
  });

  // The similarity matrix: ones on the diagonal, symmetric (table view and CSV alike).
  const cosineCard = page.getByTestId('chart-cosine');
  const matrix = await tableNumbers(cosineCard, 'chart-cosine');
  expectSymmetricWithUnitDiagonal(matrix, 3);
  const csv = await saved(page, () => cosineCard.getByTestId('chart-cosine-csv').click());
  expect(csv.name).toBe('cosine-similarity.csv');
  const rows = parseCsv(new TextDecoder().decode(csv.bytes));
  expect(rows[0]![0]).toBe('adapter');
  const fromCsv = rows.slice(1).map((r) => r.slice(1).map(Number));
  expectSymmetricWithUnitDiagonal(fromCsv, 3);
  expect(fromCsv).toEqual(matrix);

  // The stage table has a time for every stage of every column.
  const stages = await tableNumbers(page.getByTestId('chart-stages'), 'chart-stages');
  expect(stages).toHaveLength(3);
  for (const r of stages) for (const v of r) expect(v).toBeGreaterThanOrEqual(0);

  // Download from a column: a PEFT zip of T2L-M, whose ΔW norms are the heatmap's numbers.
  const zip = await saved(page, () => page.getByTestId('compare-column-1-zip').click());
  expect(zip.name).toMatch(
    /^t2l-translate-english-recipes-into-french--demo-t2l-m-[0-9a-f]{8}\.zip$/,
  );
  const files = unzipByName(zip.bytes);
  expect(Object.keys(files).sort()).toEqual(
    ['README.md', 'adapter_config.json', 'adapter_model.safetensors'].sort(),
  );
  const config = JSON.parse(new TextDecoder().decode(files['adapter_config.json'])) as {
    r: number;
    lora_alpha: number;
    use_rslora: boolean;
  };
  const { tensors, metadata } = parseSafetensorsIndependently(files['adapter_model.safetensors']!);
  expect(metadata?.['t2l.variant']).toBe('M');
  const scale = config.use_rslora
    ? config.lora_alpha / Math.sqrt(config.r)
    : config.lora_alpha / config.r;
  const norms = await tableNumbers(page.getByTestId('chart-norms-1'), 'chart-norms-1');
  expect(norms).toHaveLength(4);
  for (const [l, row] of norms.entries()) {
    for (const [m, module] of ['q_proj', 'v_proj'].entries()) {
      const expected = explicitNorm(tensors, l, module, scale);
      expect(Math.abs(row[m]! - expected) / expected).toBeLessThan(1e-5);
    }
  }

  // Compare's Accuracy row: one run of the same examples for the base model and each column,
  // the interval chart and its table.
  const card = page.getByTestId('compare-accuracy-card');
  await card.getByTestId('compare-accuracy-examples').fill(jsonl(EXAMPLES));
  await card.getByTestId('compare-accuracy-max-tokens').fill(String(MAX_TOKENS));
  await card.getByTestId('compare-accuracy-template').fill(TEMPLATE);
  await card.getByTestId('compare-accuracy-system').fill(SYSTEM);
  await expect(card.getByTestId('compare-accuracy-run')).toBeEnabled({ timeout: 60_000 });
  await card.getByTestId('compare-accuracy-run').click();
  await finished(card, 'compare-accuracy', 540_000);
  const cmp = await summaryCounts(card, 'compare-accuracy');
  expect(cmp.map((c) => [c.model, c.n])).toEqual([
    ['base', EXAMPLES.length],
    ['col-0', EXAMPLES.length],
    ['col-1', EXAMPLES.length],
    ['col-2', EXAMPLES.length],
  ]);
  // The base model answers as `t2l eval` (node-llama-cpp) does for the same prompts, greedy (it
  // was compared with the Generate view's Accuracy panel, whose base answers app-accuracy checks
  // against `t2l eval`). Trimmed, as there: wllama streams the first piece with its space.
  const cmpRows = await pageRows(card, 'compare-accuracy');
  expect(cmpRows.map((r) => r.answers[0]!.text.trim())).toEqual(
    (await cliBase).map((a) => a.trim()),
  );
  await expectNoViolations(page, 'compare-accuracy-card');
  const chart = card.getByTestId('chart-accuracy');
  await expect(chart.getByTestId('chart-accuracy-canvas')).toBeVisible();
  await chart.getByTestId('chart-accuracy-table-toggle').click();
  const table = chart.getByTestId('chart-accuracy-table');
  await expect(table.locator('tbody tr')).toHaveCount(4);
  for (const [i, c] of cmp.entries()) {
    await expect(table.locator('tbody tr').nth(i).locator('td').nth(3)).toHaveAttribute(
      'data-value',
      String(c.correct),
    );
  }
  // Kept with the columns' History entries: after a reload the newest (a Compare column) has it.
  await expect(card.getByTestId('compare-accuracy-saved')).toBeVisible();
  await page.reload();
  await page.getByTestId('tab-history').click();
  const newest = page.getByTestId('history-item').first();
  await newest.getByTestId('history-accuracy').locator('summary').first().click();
  const keptCmp = newest.getByTestId('history-accuracy-report');
  await expect(keptCmp).toHaveCount(1);
  await expect(keptCmp.locator('summary').first()).toContainText('Compare');
  await keptCmp.locator('summary').first().click();
  expect(await summaryCounts(keptCmp, 'history-accuracy')).toEqual(cmp);
});

test('blend: a slider mixes two descriptions, and the adapter records the mix', async () => {
  await page.getByTestId('tab-compare').click();
  await page.getByTestId('compare-mode-blend').click();
  await page.getByTestId('single-model').selectOption('demo-S');
  await page.getByTestId('blend-a').fill('Solve math word problems.');
  await page.getByTestId('blend-b').fill('Write short poems.');
  await page.getByTestId('blend-weight').fill('0.25');
  await expect(page.getByTestId('blend-weight-value')).toHaveText('75% A · 25% B');
  await runComparison(page, 3);
  await expect(page.getByTestId('compare-column-1-blend')).toContainText('w = 0.25');

  const st = await saved(page, () => page.getByTestId('compare-column-1-safetensors').click());
  const { metadata } = parseSafetensorsIndependently(st.bytes);
  const blend = JSON.parse(metadata!['t2l.blend']!) as { a: string; b: string; weight_b: number };
  expect(blend).toMatchObject({
    a: 'Solve math word problems.',
    b: 'Write short poems.',
    weight_b: 0.25,
  });

  const m = await tableNumbers(page.getByTestId('chart-cosine'), 'chart-cosine');
  expectSymmetricWithUnitDiagonal(m, 3);
  // The blend is a different adapter from either end.
  expect(m[0]![1]).toBeLessThan(1 - 1e-6);
  expect(m[1]![2]).toBeLessThan(1 - 1e-6);

  // Its share link reopens the blend.
  const href = await page.getByTestId('compare-column-1-link').getAttribute('href');
  await page.goto(href!);
  await expect(page.getByTestId('blend-a')).toHaveValue('Solve math word problems.');
  await expect(page.getByTestId('blend-b')).toHaveValue('Write short poems.');
  await expect(page.getByTestId('blend-weight')).toHaveValue('0.25');
});

test('a share link sets the Generate view', async () => {
  await page.goto(
    '/?model=demo-M&backend=wasm&precision=fp16&dtype=float16&d=Summarize+legal+contracts.',
  );
  await expect(page.getByTestId('model-demo-M').locator('input')).toBeChecked();
  await expect(page.locator('#description')).toHaveValue('Summarize legal contracts.');
  await expect(page.locator('#dtype')).toHaveValue('float16');
  await expect(page.locator('#precision')).toHaveValue('fp16');
  // The address bar is tidied so a reload keeps later edits.
  expect(new URL(page.url()).search).toBe('');

  // A generation in this view goes into the history, with a link back to its settings.
  await expect(page.getByTestId('backend-status')).not.toContainText('Checking', {
    timeout: 150_000,
  });
  await generateOnce(page, 'Summarize legal contracts.');
  await page.getByTestId('tab-history').click();
  const item = page.getByTestId('history-item').filter({ hasText: 'Summarize legal contracts.' });
  await expect(item).toHaveCount(1);
  await expect(item).toContainText('Summarize legal contracts.');
  await expect(item).toContainText('float16');
  const href = (await item.getByTestId('history-link').getAttribute('href'))!;
  const q = new URL(href).searchParams;
  expect(Object.fromEntries(q)).toMatchObject({
    model: 'demo-S',
    backend: 'wasm',
    precision: 'fp16',
    dtype: 'float16',
    d: 'Summarize legal contracts.',
  });
});

async function generateOnce(page: Page, description: string): Promise<void> {
  await page.getByTestId('model-demo-S').click();
  await page
    .getByRole('radiogroup', { name: 'Backend' })
    .getByText('wasm', { exact: true })
    .click();
  await page.locator('#description').fill(description);
  await page.getByRole('button', { name: 'Generate adapter' }).click();
  // This description's result (the page may still show an earlier test's card).
  await expect(page.getByTestId('result')).toContainText(description, { timeout: 150_000 });
}

/** The number the History tab shows (saved entries and those that did not fit). */
async function historyCount(): Promise<number> {
  const text = await page.getByTestId('tab-history').innerText();
  return Number(/(\d+)\s*$/.exec(text)?.[1] ?? 0);
}

test('a full disk is a clear message, and the adapter stays downloadable', async () => {
  // The quota estimate says there is no room left (the History asks before each save).
  await page.evaluate(() => {
    Object.defineProperty(navigator.storage, 'estimate', {
      configurable: true,
      value: async () => ({ usage: 999_999_900, quota: 1_000_000_000 }),
    });
  });
  await page.getByTestId('tab-generate').click();
  const before = await historyCount();
  await generateOnce(page, 'Extract dates from emails.');
  // The tab counts the adapter that did not fit.
  await expect(page.getByTestId('tab-history')).toHaveText(new RegExp(`History\\s*${before + 1}$`));
  await page.getByTestId('tab-history').click();
  const warning = page.getByTestId('history-warning');
  await expect(warning).toBeVisible();
  await expect(warning).toContainText('Browser storage is full');
  await expect(warning).toContainText('was not added to the history');
  await expect(page.getByTestId('history-unsaved-item')).toContainText(
    'Extract dates from emails.',
  );
  const zip = await saved(page, () => page.getByTestId('history-unsaved-zip').click());
  expect(Object.keys(unzipByName(zip.bytes))).toContain('adapter_model.safetensors');
  const entry = page.getByTestId('history-item').filter({ hasText: 'Extract dates from emails.' });
  await expect(entry).toHaveCount(0);

  // With room again, "Try saving again" stores it, and the warning goes.
  await page.evaluate(() => delete (navigator.storage as { estimate?: unknown }).estimate);
  await warning.getByRole('button', { name: 'Try saving again' }).click();
  await expect(warning).toBeHidden();
  await expect(page.getByTestId('history-unsaved-item')).toHaveCount(0);
  await expect(entry).toHaveCount(1);
});

test('a QuotaExceededError from IndexedDB is a clear message, never a silent loss', async () => {
  await page.evaluate(() => {
    const add = IDBObjectStore.prototype.add;
    IDBObjectStore.prototype.add = function (
      this: IDBObjectStore,
      ...args: Parameters<typeof add>
    ) {
      if (this.name === 'entries') throw new DOMException('Quota exceeded.', 'QuotaExceededError');
      return add.apply(this, args);
    };
  });
  await page.getByTestId('tab-generate').click();
  await generateOnce(page, 'Tag parts of speech.');
  await page.getByTestId('tab-history').click();
  await expect(page.getByTestId('history-warning')).toContainText('storage is full');
  await expect(page.getByTestId('history-unsaved-item')).toContainText('Tag parts of speech.');
});

const COMPARE_DESCRIPTION = 'Translate English recipes into French.';

/**
 * The base model's answers to EXAMPLES by `t2l eval --json` (the demo base GGUF) with TEMPLATE and
 * SYSTEM, in order.
 */
async function cliBaseAnswers(description: string): Promise<string[]> {
  const out = await cliEval({ description, examples: jsonl(EXAMPLES), args: ['--no-control'] });
  const base = out.models.indexOf('base');
  return out.rows.map((r) => r[base]!.output);
}
