import { expect, test, type Page } from '@playwright/test';
import { chooseBackend, chooseModel } from './app-support';

/**
 * Issue #14 item 15: the production build installs a service worker; after one visit it opens
 * without a network, still cross-origin isolated, and generates with the demo from the cache. The
 * other specs run with service workers blocked, so this one runs in the `preview` project, which
 * allows them (playwright.config.ts).
 */

// A shared, loaded machine: starting the worker and generating can take minutes.
test.setTimeout(900_000);

async function ready(page: Page): Promise<void> {
  await expect(page.getByTestId('model-demo-S')).toBeVisible({ timeout: 150_000 });
  await expect(page.getByTestId('backend-status')).not.toContainText('Checking', {
    timeout: 150_000,
  });
}

async function generate(page: Page, description: string): Promise<void> {
  await page.locator('#description').fill(description);
  await page.getByRole('button', { name: 'Generate adapter' }).click();
  const outcome = page.getByTestId('result').or(page.getByTestId('error'));
  await expect(outcome).toBeVisible({ timeout: 400_000 });
  await expect(page.getByTestId('result')).toBeVisible();
}

test('after one visit the app opens offline, isolated, and generates with the cached demo', async ({
  page,
  context,
}, testInfo) => {
  await page.goto('/');
  await ready(page);
  // The manifest and its icons are there for installation.
  const manifest = await page.evaluate(async () => {
    const link = document.querySelector<HTMLLinkElement>('link[rel="manifest"]');
    return link
      ? ((await (await fetch(link.href)).json()) as { name: string; icons: unknown[] })
      : null;
  });
  expect(manifest?.name).toBe('Text-to-LoRA');
  expect(manifest?.icons.length).toBeGreaterThanOrEqual(3);
  // The service worker installs (precaching the shell and ort/) and says the app works offline.
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
  await expect(page.getByTestId('notice-offline-ready')).toBeVisible({ timeout: 120_000 });

  await chooseModel(page, 'demo-S');
  await chooseBackend(page, 'wasm');
  await generate(page, 'Answer questions about the solar system.');

  await context.setOffline(true);
  await page.reload();
  await ready(page);
  expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
  // Served by the service worker with the isolation headers intact: threaded wasm still works.
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  // The app's own model cache is untouched by the service worker's caches.
  expect(await page.evaluate(() => caches.has('t2l-files-v1'))).toBe(true);
  await expect(page.getByTestId('model-demo-S').locator('input')).toBeChecked();
  await page.setViewportSize({ width: 1280, height: 1000 });
  await generate(page, 'Answer questions about the planets.');
  await expect(page.getByTestId('fact-base-model')).toContainText('tiny-demo-base');
  // The README's screenshot: the app after an offline generation with the demo.
  const shot = testInfo.outputPath('app-main-screen.png');
  await page.screenshot({ path: shot });
  await testInfo.attach('main screen, offline', { path: shot, contentType: 'image/png' });
});
