import { expect, test, type Page } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import { chooseBackend, chooseModel } from './app-support';

/**
 * Issue #14 items 7, 9, 11: distinct download names in every view, Compare starting from
 * Generate and surviving a reload with a failed column that explains itself, History at parity
 * (GGUF, reopen the result card, delete with undo, clear all).
 */

// A shared, loaded machine: starting the worker and generating can take minutes.
test.setTimeout(900_000);

async function ready(page: Page): Promise<void> {
  await expect(page.getByTestId('model-demo-L')).toBeVisible({ timeout: 150_000 });
  await expect(page.getByTestId('backend-status')).not.toContainText('Checking', {
    timeout: 150_000,
  });
}

async function saved(page: Page, click: () => Promise<void>) {
  const [download] = await Promise.all([page.waitForEvent('download'), click()]);
  return {
    name: download.suggestedFilename(),
    bytes: new Uint8Array(await readFile(await download.path())),
  };
}

const NAME = /^t2l-[a-z0-9-]+--[a-z0-9-]+-[0-9a-f]{8}\.(zip|safetensors|gguf)$/;

test('Compare starts from Generate, survives a reload, and a failed column explains itself', async ({
  page,
  baseURL,
}) => {
  await page.goto('/');
  await ready(page);
  await page.locator('#description').fill('Translate English recipes into German.');
  // A location that does not exist: the column that uses it fails as Generate would.
  await page
    .getByLabel('Package or checkpoint location')
    .fill(`${baseURL}/models/demo/packages/NOPE/`);
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(page.getByTestId('model-url-status')).toContainText('Added');

  await page.getByTestId('tab-compare').click();
  await expect(page.getByTestId('compare-description')).toHaveValue(
    'Translate English recipes into German.',
  );
  await expect(page.getByTestId('compare-examples').getByRole('button')).not.toHaveCount(0);
  await page
    .getByTestId('config-2-model')
    .selectOption(`url:${baseURL}/models/demo/packages/NOPE/`);
  // The form survives a reload.
  await page.reload();
  await ready(page);
  await page.getByTestId('tab-compare').click();
  await expect(page.getByTestId('compare-description')).toHaveValue(
    'Translate English recipes into German.',
  );
  await expect(page.getByTestId('config-2-model').locator('option:checked')).toContainText('NOPE');

  await page.getByTestId('run-compare').click();
  for (let i = 0; i < 3; i++) {
    await expect(page.getByTestId(`compare-column-${i}`)).toHaveAttribute(
      'data-status',
      /done|error/,
      { timeout: 400_000 },
    );
  }
  await expect(page.getByTestId('compare-column-0')).toHaveAttribute('data-status', 'done');
  await expect(page.getByTestId('compare-column-1')).toHaveAttribute('data-status', 'done');
  const failed = page.getByTestId('compare-column-2-error');
  await expect(failed).toContainText('Files are missing');
  await expect(failed).toContainText('What to do');
  // Column titles show the precision that ran, not "auto".
  await expect(page.getByTestId('compare-column-0')).not.toContainText('auto');
  // (A demo package runs at its own precision, float32.)
  await expect(page.getByTestId('compare-column-0')).toContainText('wasm · fp32 · float32');
  // The cosine matrix leaves the failed column out.
  const cos = page.getByTestId('chart-cosine');
  await cos.getByTestId('chart-cosine-table-toggle').click();
  await expect(cos.getByTestId('chart-cosine-table').locator('tbody tr')).toHaveCount(2);
  // CSV headers carry the whole description.
  const csv = await saved(page, () => cos.getByTestId('chart-cosine-csv').click());
  expect(new TextDecoder().decode(csv.bytes).split('\r\n')[0]).toContain(
    '“Translate English recipes into German.”',
  );
  // Two columns, same description, different models: two descriptive, distinct names.
  const a = await saved(page, () => page.getByTestId('compare-column-0-safetensors').click());
  const b = await saved(page, () => page.getByTestId('compare-column-1-safetensors').click());
  expect(a.name).toMatch(NAME);
  expect(a.name).toMatch(/^t2l-translate-english-recipes-into-german--demo-t2l-l-/);
  expect(b.name).toMatch(/^t2l-translate-english-recipes-into-german--demo-t2l-m-/);
});

test('History: same names as Generate, GGUF, reopen the result card, delete with undo, clear all', async ({
  page,
}) => {
  await page.goto('/');
  await ready(page);
  await chooseModel(page, 'demo-S');
  await chooseBackend(page, 'wasm');
  await page.locator('#description').fill('Extract dates from emails.');
  await page.getByRole('button', { name: 'Generate adapter' }).click();
  await expect(page.getByTestId('result')).toBeVisible({ timeout: 400_000 });
  // Focus moves to the result, so its downloads are the next tab stops.
  await expect(page.getByTestId('result')).toBeFocused();
  const fromGenerate = await saved(page, () => page.getByTestId('download-safetensors').click());
  expect(fromGenerate.name).toMatch(
    /^t2l-extract-dates-from-emails--demo-t2l-s-[0-9a-f]{8}\.safetensors$/,
  );

  await page.getByTestId('tab-history').click();
  const item = page.getByTestId('history-item');
  await expect(item).toHaveCount(1);
  const fromHistory = await saved(page, () => item.getByTestId('history-safetensors').click());
  expect(fromHistory.name).toBe(fromGenerate.name);
  expect(fromHistory.bytes).toEqual(fromGenerate.bytes);
  const gguf = await saved(page, () => item.getByTestId('history-gguf').click());
  expect(gguf.name).toBe(fromGenerate.name.replace(/\.safetensors$/, '.gguf'));
  expect(new TextDecoder().decode(gguf.bytes.slice(0, 4))).toBe('GGUF');

  // Reopen: the Generate view shows the full result card again.
  await page.reload();
  await ready(page);
  await page.getByTestId('tab-history').click();
  await page.getByTestId('history-open').click();
  await expect(page.getByTestId('result')).toBeVisible();
  await expect(page.getByTestId('result')).toContainText('Extract dates from emails.');
  await expect(page.getByTestId('fact-variant')).toContainText('T2L-S');
  const again = await saved(page, () => page.getByTestId('download-safetensors').click());
  expect(again.name).toBe(fromGenerate.name);
  // Reopening does not add a second history entry.
  await page.getByTestId('tab-history').click();
  await expect(item).toHaveCount(1);

  // Delete, then undo.
  await item.getByTestId('history-delete').click();
  await expect(item).toHaveCount(0);
  const notice = page.getByTestId('notice-history-deleted');
  await expect(notice).toContainText('Deleted “Extract dates from emails.”');
  await notice.getByRole('button', { name: 'Undo' }).click();
  await expect(item).toHaveCount(1);
  // Clear all, then undo; then clear for good.
  await page.getByTestId('history-clear').click();
  await expect(item).toHaveCount(0);
  await expect(page.getByTestId('history-empty')).toBeVisible();
  await page.getByTestId('notice-history-deleted').getByRole('button', { name: 'Undo' }).click();
  await expect(item).toHaveCount(1);
  await page.reload();
  await ready(page);
  await page.getByTestId('tab-history').click();
  await expect(item).toHaveCount(1);
});
