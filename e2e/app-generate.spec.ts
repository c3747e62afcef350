import { expect, test } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readModelCard } from '../src/core/adapter/model-card';
import {
  chooseBackend,
  chooseModel,
  cliAdapter,
  DEMO,
  downloadZip,
  expectSameAdapter,
  generateAndWait,
  openAndGenerate,
  openApp,
} from './app-support';

/**
 * The main flow in real headless Chromium: type a description, generate with a demo model on
 * WebGPU and on wasm, download the zip, and check the adapter inside equals the CLI's for the same
 * description and model.
 */

test('WebGPU: the demo package makes the same adapter as `t2l generate`', async ({ page }) => {
  const description = 'Solve grade-school math word problems step by step.';
  const expected = cliAdapter(join(DEMO, 'packages', 'L'), description);
  const app = await openAndGenerate(page, 'demo-L', 'WebGPU', description);

  const backend = page.getByTestId('fact-backend');
  await expect(backend.locator('[data-backend]')).toHaveAttribute('data-backend', 'webgpu');
  await expect(backend).toContainText('WebGPU · ');
  await expect(page.getByTestId('fact-base-model')).toHaveText('t2l-web/tiny-demo-base');
  await expect(page.getByTestId('fact-variant')).toContainText('T2L-L');

  const files = await downloadZip(page);
  expect(Object.keys(files)).toEqual(
    expect.arrayContaining(['adapter_config.json', 'adapter_model.safetensors']),
  );
  expectSameAdapter(files['adapter_model.safetensors']!, await expected);
  expect(app.offOrigin).toEqual([]);
});

test('wasm: a checkpoint converted in the browser makes the same adapter as `t2l generate`', async ({
  page,
}, testInfo) => {
  const description = 'Decide whether a movie review is positive or negative.';
  const expected = cliAdapter(join(DEMO, 'checkpoints', 'L'), description);
  const app = await openApp(page);
  await chooseModel(page, 'demo-L-checkpoint');
  await chooseBackend(page, 'wasm');
  // float32, as the CLI converts by default: the numbers must match to 1e-4.
  await page.locator('#precision').selectOption('fp32');
  await page.locator('#description').fill(description);
  await generateAndWait(page);

  // The result card names what ran and how long each stage took.
  await expect(page.getByTestId('fact-backend')).toContainText(/wasm · \d+ threads?/);
  await expect(page.getByTestId('fact-checkpoint')).toContainText('/models/demo/checkpoints/L/');
  await expect(page.getByTestId('fact-precision')).toContainText('fp32');
  await expect(page.getByTestId('fact-size')).toContainText('safetensors');
  for (const stage of ['load', 'encode', 'hypernetwork', 'pack']) {
    await expect(page.getByTestId(`timing-${stage}`)).toContainText(/\d/);
  }
  await expect(page.getByTestId('load-notes')).toContainText('converted it to ONNX');

  const files = await downloadZip(page);
  expectSameAdapter(files['adapter_model.safetensors']!, await expected);
  // Every zip explains itself: a model card with the facts of this generation.
  const card = readModelCard(new TextDecoder().decode(files['README.md']));
  expect(card.facts).toMatchObject({
    description,
    base_model: 't2l-web/tiny-demo-base',
    variant: 'L',
    hypernetwork_precision: 'fp32',
    dtype: 'float32',
    backend: 'wasm',
  });

  // The bare safetensors download is the same file as the one in the zip.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('download-safetensors').click(),
  ]);
  expect(download.suggestedFilename()).toMatch(
    /^t2l-[a-z0-9-]+--[a-z0-9-]+-[0-9a-f]{8}\.safetensors$/,
  );
  expect(new Uint8Array(await readFile(await download.path()))).toEqual(
    files['adapter_model.safetensors'],
  );

  const shot = testInfo.outputPath('app-main-screen.png');
  await page.screenshot({ path: shot, fullPage: true });
  await testInfo.attach('main screen after a generation', { path: shot, contentType: 'image/png' });
  expect(app.offOrigin).toEqual([]);
});

test('Ctrl+Enter generates; an empty description is refused in place', async ({ page }) => {
  await openApp(page);
  // Auto precision on wasm converts the checkpoint to int8 in the browser and measures its fidelity.
  await chooseModel(page, 'demo-L-checkpoint');
  await chooseBackend(page, 'wasm');
  await page.locator('#description').fill('   ');
  await page.locator('#description').press('Control+Enter');
  await expect(page.getByTestId('description-error')).toContainText('description is empty');

  // An example fills the box; the shortcut works from the text box.
  await page.getByRole('button', { name: 'Sarcasm' }).click();
  await expect(page.locator('#description')).toHaveValue(/sarcastic/);
  await page.locator('#description').press('Control+Enter');
  await expect(page.getByTestId('result')).toBeVisible({ timeout: 120_000 });
  await expect(page.getByTestId('fact-precision')).toContainText(
    /hypernetwork int8 \(cosine ≥ 0\.999\d*/,
  );
  // The converted package is cached, and the picker says so.
  await expect(page.getByTestId('model-demo-L-checkpoint')).toContainText('cached');
  // The GGUF download (llama.cpp / Ollama) is a GGUF file.
  const [gguf] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('download-gguf').click(),
  ]);
  expect(gguf.suggestedFilename()).toMatch(/^t2l-.*\.gguf$/);
  const magic = (await readFile(await gguf.path())).subarray(0, 4).toString('latin1');
  expect(magic).toBe('GGUF');
});

test('wasm: a text encoder worker that stopped on its own is loaded anew by the next Generate', async ({
  page,
}) => {
  test.setTimeout(300_000);
  await openAndGenerate(page, 'demo-M', 'wasm', 'Answer questions about biology.');
  // The encoder's session lives in a worker of its own: an uncaught error ends it, graph and all.
  const encoderWorker = page.workers().find((w) => w.url().includes('encoder-graph'));
  expect(encoderWorker).toBeDefined();
  await encoderWorker!.evaluate(() => {
    setTimeout(() => {
      throw new Error('planted crash');
    }, 0);
  });
  await expect.poll(() => page.workers().includes(encoderWorker!)).toBe(false);
  await page.locator('#description').fill('Summarize news articles.');
  await generateAndWait(page);
});
