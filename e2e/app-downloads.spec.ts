import { expect, test } from '@playwright/test';
import { join } from 'node:path';
import {
  chooseBackend,
  chooseModel,
  cliAdapter,
  DEMO,
  downloadZip,
  expectSameAdapter,
  generateAndWait,
  openApp,
} from './app-support';

/** Downloads that break off resume where they stopped, and the result is still exact. */

test('a download cut off half way resumes with a Range request; the adapter is still right', async ({
  page,
}) => {
  const description = 'Classify the topic of news headlines.';
  const expected = cliAdapter(join(DEMO, 'packages', 'S'), description);
  const app = await openApp(page);
  const file = '**/models/demo/packages/S/model.onnx';
  const ranges: string[] = [];
  page.context().on('request', (r) => {
    if (r.url().endsWith('/packages/S/model.onnx') && r.method() === 'GET') {
      ranges.push(r.headers()['range'] ?? 'whole file');
    }
  });
  // The first answer promises the whole file but stops half way, as a dropped connection does.
  let cut = false;
  await page.context().route(file, async (route) => {
    if (route.request().method() !== 'GET' || cut) return route.continue();
    cut = true;
    const res = await route.fetch();
    const body = await res.body();
    // Plain bytes, as a static host sends a binary file (`vite preview` would gzip it).
    const headers = Object.fromEntries(
      Object.entries(res.headers()).filter(
        ([k]) => !/^(content-encoding|transfer-encoding)$/i.test(k),
      ),
    );
    await route.fulfill({
      status: 200,
      headers: { ...headers, 'content-length': String(body.length), 'accept-ranges': 'bytes' },
      body: body.subarray(0, body.length >> 1),
    });
  });

  await chooseModel(page, 'demo-S');
  await chooseBackend(page, 'wasm');
  await page.locator('#description').fill(description);
  await generateAndWait(page);

  expect(ranges).toHaveLength(2);
  expect(ranges[0]).toBe('whole file');
  expect(ranges[1]).toMatch(/^bytes=\d+-$/);
  expectSameAdapter((await downloadZip(page))['adapter_model.safetensors']!, await expected);
  expect(app.offOrigin).toEqual([]);
});
