import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { chooseBackend, chooseModel } from './app-support';

/**
 * Issue #14 items 12–14: axe-core finds nothing in light and dark on Generate, Compare, History
 * and each dialog, nor after a generation (result card, Try panel; issue #23); at 390 px on a touch phone the page does not scroll sideways while
 * generating, progress shows under the button, the backend status is visible and no keyboard
 * shortcut is advertised.
 */

test.setTimeout(480_000);

async function ready(page: Page): Promise<void> {
  await expect(page.getByTestId('model-demo-L')).toBeVisible({ timeout: 150_000 });
  await expect(page.getByTestId('backend-status')).not.toContainText('Checking', {
    timeout: 150_000,
  });
}

async function expectNoViolations(page: Page, where: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const summary = results.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`,
  );
  expect(summary, `axe on ${where}`).toEqual([]);
}

/** Settings, Cache, a field error, Compare and History, each checked by axe in one scheme. */
async function checkViewsAndDialogs(page: Page, scheme: 'light' | 'dark'): Promise<void> {
  await page.emulateMedia({ colorScheme: scheme });
  await page.getByTestId('tab-generate').click();
  await expectNoViolations(page, `Generate (${scheme})`);

  await page.getByRole('button', { name: 'Settings' }).click();
  await expect(page.getByRole('dialog')).toBeVisible();
  await page.getByLabel(/URL of an Open Inference Protocol server/).fill('not a url');
  await expectNoViolations(page, `Settings dialog (${scheme})`);
  await page.getByLabel(/URL of an Open Inference Protocol server/).fill('');
  await page.keyboard.press('Escape');

  await page.getByRole('button', { name: 'Cache' }).click();
  await expect(page.getByRole('dialog')).toBeVisible();
  await expectNoViolations(page, `Cache dialog (${scheme})`);
  await page.keyboard.press('Escape');

  // An error at the text box and a notice.
  await page.locator('#description').fill('');
  await page.getByRole('button', { name: 'Generate adapter' }).click();
  await expect(page.getByTestId('description-error')).toBeVisible();
  await expectNoViolations(page, `Generate with a field error (${scheme})`);

  await page.getByTestId('tab-compare').click();
  await expect(page.getByTestId('compare-form')).toBeVisible();
  await expectNoViolations(page, `Compare (${scheme})`);

  await page.getByTestId('tab-history').click();
  await expect(page.getByTestId('history-view')).toBeVisible();
  await expectNoViolations(page, `History (${scheme})`);
}

// One page for the views in both schemes and after a generation: none of these checks needs a
// fresh page, and each page start costs a worker start and its capability checks.
test.describe.serial('axe, one page', () => {
  let page: Page;

  test.beforeAll(async ({ browser }) => {
    // A page of its own context (axe needs one), with the project's options (base URL, etc.).
    page = await (await browser.newContext()).newPage();
    await page.goto('/');
    await ready(page);
  });

  test.afterAll(async () => {
    await page.context().close();
  });

  for (const scheme of ['light', 'dark'] as const) {
    test(`axe finds no violations in ${scheme} mode: views and dialogs`, async () => {
      await checkViewsAndDialogs(page, scheme);
    });
  }

  test('axe finds no violations after a generation, light and dark: result card and Try panel', async () => {
    await page.getByTestId('tab-generate').click();
    await chooseModel(page, 'demo-S');
    await chooseBackend(page, 'wasm');
    await page.locator('#description').fill('Answer questions about the weather.');
    await page.getByRole('button', { name: 'Generate adapter' }).click();
    await expect(page.getByTestId('result').or(page.getByTestId('error'))).toBeVisible({
      timeout: 150_000,
    });
    await expect(page.getByTestId('result')).toBeVisible();
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await expectNoViolations(page, `Generate after a generation (${scheme})`);
    }
    await page.getByTestId('try-toggle').click();
    await expect(page.getByTestId('try-prompt')).toBeVisible();
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await expectNoViolations(page, `Generate with the Try panel open (${scheme})`);
    }
  });
});

test.describe('at phone width', () => {
  test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

  test('no sideways scroll while generating; progress by the button; status visible', async ({
    page,
  }) => {
    await page.goto('/');
    await ready(page);
    await expect(page.getByTestId('backend-status')).toBeVisible();
    // Touch screens have no Ctrl+Enter to offer.
    await expect(page.getByText('generates', { exact: false }).first()).toBeHidden();

    // Hold the package's graph so the run stays in its download stage.
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    await page.route('**/models/demo/packages/M/model.onnx', async (route) => {
      await held;
      await route.continue();
    });
    await chooseModel(page, 'demo-M');
    await chooseBackend(page, 'wasm');
    await page
      .locator('#description')
      .fill('Classify customer support tickets by urgency and route them to the right team.');
    await page.getByRole('button', { name: 'Generate adapter' }).click();
    const line = page.getByTestId('run-status-line');
    await expect(line).toBeVisible();
    await expect(page.getByTestId('progress')).toBeVisible();
    // Progress is next to the button, not a screen further down.
    const button = await page.getByRole('button', { name: /Generating/ }).boundingBox();
    const lineBox = await line.boundingBox();
    expect(lineBox!.y - (button!.y + button!.height)).toBeLessThan(120);
    const widths = await page.evaluate(() => ({
      doc: document.documentElement.scrollWidth,
      view: document.documentElement.clientWidth,
    }));
    expect(widths.doc).toBeLessThanOrEqual(widths.view);
    await page.getByRole('button', { name: 'Cancel' }).click();
    release();
    await expect(line).toBeHidden();
  });
});
