import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { chooseBackend, chooseModel } from './app-support';

/**
 * Issue #14 items 12–14: axe-core finds nothing in light and dark on Generate, Compare, History
 * and each dialog; at 390 px on a touch phone the page does not scroll sideways while
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

for (const scheme of ['light', 'dark'] as const) {
  test(`axe finds no violations in ${scheme} mode: views and dialogs`, async ({ page }) => {
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto('/');
    await ready(page);
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
  });
}

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
