import { expect, test, type Page } from '@playwright/test';

/**
 * LLM outputs in Compare and History, in headless Chromium with the demo models and the demo base
 * GGUF (llama.cpp through wllama, wasm): one prompt answered by the base model and by every
 * column's adapter, the base loaded once; the answers kept with the History entries across a
 * reload; an entry's adapter tried again from its stored GGUF.
 */

const DESCRIPTIONS = ['Answer questions about chemistry.', 'Write short poems about the sea.'];
const PROMPT = 'Tell me about the ocean.';
/** Few tokens: llama.cpp in wasm is slow on a shared 2-core machine, and 8 show the difference. */
const MAX_TOKENS = 8;

/** The app, ready to generate: as openApp, with longer waits for a loaded shared machine. */
async function openLoaded(page: Page): Promise<void> {
  await page.goto('/');
  await expect(page.getByTestId('model-demo-L')).toBeVisible({ timeout: 240_000 });
  await expect(page.getByTestId('backend-status')).not.toContainText('Checking', {
    timeout: 240_000,
  });
}

async function compareTwoDescriptions(page: Page): Promise<void> {
  await page.getByTestId('tab-compare').click();
  await page.getByTestId('compare-mode-descriptions').click();
  await page.getByTestId('single-model').selectOption('demo-S');
  await page.getByTestId('single-backend').selectOption('wasm');
  await page.getByRole('button', { name: 'Remove description 3' }).click();
  for (const [i, d] of DESCRIPTIONS.entries()) {
    await page.getByTestId(`compare-description-${i}`).fill(d);
  }
  await page.getByTestId('run-compare').click();
  for (let i = 0; i < DESCRIPTIONS.length; i++) {
    const col = page.getByTestId(`compare-column-${i}`);
    await expect(col).toHaveAttribute('data-status', /done|error/, { timeout: 540_000 });
    if ((await col.getAttribute('data-status')) === 'error') {
      throw new Error(`column ${i} failed: ${await col.innerText()}`);
    }
  }
  await expect(page.getByTestId('run-compare')).toHaveText('Compare');
}

/** Runs a panel (prefix `compare-outputs` or `history-try`) and returns its cells' texts. */
async function runPanel(
  scope: Page | ReturnType<Page['getByTestId']>,
  prefix: string,
  cells: number,
) {
  await scope.getByTestId(`${prefix}-prompt`).fill(PROMPT);
  await scope.getByTestId(`${prefix}-max-tokens`).fill(String(MAX_TOKENS));
  await scope.getByTestId(`${prefix}-run`).click();
  const ids = [`${prefix}-base`, ...Array.from({ length: cells - 1 }, (_, i) => `${prefix}-${i}`)];
  const texts: string[] = [];
  for (const id of ids) {
    await expect(scope.getByTestId(id)).toHaveAttribute('data-status', /done|error|stopped/, {
      timeout: 300_000,
    });
    const status = await scope.getByTestId(id).getAttribute('data-status');
    if (status !== 'done') throw new Error(`${id}: ${await scope.getByTestId(id).innerText()}`);
    texts.push(await scope.getByTestId(`${id}-text`).innerText());
  }
  await expect(scope.getByTestId(`${prefix}-run`)).toBeVisible();
  return texts;
}

test('Compare: base model and both adapters answer one prompt, the base loaded once; History keeps the answers and tries an entry again', async ({
  page,
}, testInfo) => {
  // Two generations, three rounds of LLM answers and a reload, on a shared 2-core machine.
  test.setTimeout(1_200_000);
  await openLoaded(page);
  await compareTwoDescriptions(page);

  const card = page.getByTestId('compare-outputs-card');
  await expect(card).toBeVisible();
  const [base, first, second] = await runPanel(page, 'compare-outputs', 3);
  await card.screenshot({ path: testInfo.outputPath('compare-outputs.png') });
  expect(base!.length).toBeGreaterThan(0);
  // The adapters change what the model says (random demo weights: gibberish, but different).
  expect(first).not.toBe(base);
  expect(second).not.toBe(base);
  // One load of the base, with both adapters mounted.
  await expect(page.getByTestId('compare-outputs')).toHaveAttribute('data-base-loads', '1');

  // Again, greedy: the very same texts, and still no reload when switching adapters.
  const again = await runPanel(page, 'compare-outputs', 3);
  expect(again).toEqual([base, first, second]);
  await expect(page.getByTestId('compare-outputs')).toHaveAttribute('data-base-loads', '1');

  // History: each entry keeps its adapter's answer with the base's, across a reload.
  await page.reload();
  await page.getByTestId('tab-history').click();
  const items = page.getByTestId('history-item');
  await expect(items).toHaveCount(2);
  for (const [i, d] of DESCRIPTIONS.entries()) {
    const item = items.filter({ hasText: d });
    await item.getByTestId('history-outputs').locator('summary').click();
    const kept = item.getByTestId('history-output');
    await expect(kept).toHaveCount(2);
    await expect(kept.first().getByTestId('history-output-prompt')).toHaveText(PROMPT);
    await expect(kept.first().getByTestId('history-output-base')).toHaveText(base!);
    await expect(kept.first().getByTestId('history-output-adapter')).toHaveText(
      i === 0 ? first! : second!,
    );
  }

  // Try from History: the stored GGUF goes to the LLM worker; same prompt, same answers.
  const item = items.filter({ hasText: DESCRIPTIONS[1]! });
  const tried = await runPanel(item, 'history-try', 2);
  expect(tried).toEqual([base, second]);
  await expect(item.getByTestId('history-output')).toHaveCount(3);
});

test('a history written before outputs were kept (IndexedDB version 1) still lists its entries, and says why an old entry cannot be tried', async ({
  page,
}) => {
  // Same origin, before the app ever opens the database: the version-1 layout with one entry.
  await page.goto('/e2e/harness/index.html');
  await page.evaluate(
    () =>
      new Promise<void>((resolve, reject) => {
        const req = indexedDB.open('t2l-history', 1);
        req.onupgradeneeded = () => {
          const entries = req.result.createObjectStore('entries', {
            keyPath: 'id',
            autoIncrement: true,
          });
          entries.createIndex('createdAt', 'createdAt');
          req.result.createObjectStore('files', { keyPath: 'id' });
        };
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
          const tx = req.result.transaction(['entries', 'files'], 'readwrite');
          tx.objectStore('entries').add({
            id: 1,
            createdAt: Date.now(),
            description: 'An adapter from before.',
            modelId: 'demo-S',
            modelName: 'Demo T2L-S',
            baseModel: 't2l-web/tiny-demo-base',
            variant: 'S',
            precision: 'fp32',
            backend: 'wasm',
            dtype: 'float32',
            timings: { load: 1, encode: 1, hypernetwork: 1, pack: 1 },
            stem: 't2l-an-adapter-from-before',
            sizes: { safetensors: 4, zip: 4 },
            settings: { view: 'generate' },
          });
          tx.objectStore('files').put({
            id: 1,
            safetensors: new Uint8Array(4),
            zip: new Uint8Array(4),
          });
          tx.oncomplete = () => {
            req.result.close();
            resolve();
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
  );
  // Only the history is needed: no wait for the generation worker's checks.
  await page.goto('/');
  await page.getByTestId('tab-history').click();
  const item = page.getByTestId('history-item');
  await expect(item).toHaveCount(1);
  await expect(item).toContainText('An adapter from before.');
  await item.getByTestId('history-outputs').locator('summary').click();
  await expect(item.getByTestId('history-outputs-none')).toBeVisible();
  await item.getByTestId('history-try-prompt').fill(PROMPT);
  await item.getByTestId('history-try-run').click();
  await expect(item.getByTestId('history-try-error')).toContainText('has no GGUF LoRA');
  // The database was upgraded in place: version 3 (HISTORY_DB_VERSION), the entry kept.
  const version = await page.evaluate(
    async () => (await indexedDB.databases()).find((d) => d.name === 't2l-history')?.version,
  );
  expect(version).toBe(3);
});
