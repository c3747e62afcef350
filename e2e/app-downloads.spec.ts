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
  // An answer promises the whole file but stops half way, as a dropped connection does, until the
  // page resumes with a Range request. Chromium may report the cut before the page has read any
  // of the bytes, and a page that saw none rightly starts over without a Range: then the cut repeats.
  let resumed = false;
  await page.context().route(file, async (route) => {
    if (route.request().headers()['range']) resumed = true;
    if (route.request().method() !== 'GET' || resumed) return route.continue();
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

  // One cut attempt, or two when the page saw none of the first one's bytes (3 tries at most).
  expect(ranges.length === 2 || ranges.length === 3).toBe(true);
  expect(ranges.slice(0, -1)).toEqual(ranges.slice(0, -1).map(() => 'whole file'));
  expect(ranges.at(-1)).toMatch(/^bytes=\d+-$/);
  expectSameAdapter((await downloadZip(page))['adapter_model.safetensors']!, await expected);
  expect(app.offOrigin).toEqual([]);
});
