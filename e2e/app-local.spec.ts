import { expect, test } from '@playwright/test';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  chooseBackend,
  cliAdapter,
  DEMO,
  downloadZip,
  expectSameAdapter,
  generateAndWait,
  openApp,
} from './app-support';

/** Folders from the user's disk (file picker), and what happens when one is not a checkpoint. */

let scratch: string;

test.beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 't2l-e2e-local-'));
});

test.afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

test('a malformed local checkpoint shows its error in the page', async ({ page }) => {
  // The official layout, but hypermod.pt is not a torch file.
  const dir = join(scratch, 'broken_t2l');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir);
  for (const f of ['args.yaml', 'adapter_config.json']) {
    await copyFile(join(DEMO, 'checkpoints', 'S', f), join(dir, f));
  }
  await writeFile(join(dir, 'hypermod.pt'), 'this is not a PyTorch checkpoint');

  const app = await openApp(page);
  await page.getByTestId('folder-input').setInputFiles(dir);
  await expect(page.getByTestId('model-local-folder')).toContainText('broken_t2l');
  await expect(page.getByTestId('model-local-folder').locator('input')).toBeChecked();
  await chooseBackend(page, 'wasm');
  await page.locator('#description').fill('Summarize news articles in two sentences.');
  await page.getByRole('button', { name: 'Generate adapter' }).click();

  const error = page.getByTestId('error');
  // Generate may wait behind the page's pre-warm (wasm compile) in the worker's queue.
  await expect(error).toBeVisible({ timeout: 150_000 });
  await expect(error).toContainText('not a T2L checkpoint');
  await expect(page.getByTestId('error-message')).toContainText('hypermod.pt');
  await expect(page.getByTestId('error-hint')).toContainText('SakanaAI/text-to-lora');
  // The description the user typed is untouched.
  await expect(page.locator('#description')).toHaveValue(
    'Summarize news articles in two sentences.',
  );

  // A folder that is neither a checkpoint nor a package says what it should hold.
  const empty = join(scratch, 'notes');
  await mkdir(empty, { recursive: true });
  await writeFile(join(empty, 'README.md'), '# not a model');
  await page.getByTestId('folder-input').setInputFiles(empty);
  await page.getByRole('button', { name: 'Generate adapter' }).click();
  await expect(page.getByTestId('error-message')).toContainText('neither a converted package', {
    timeout: 150_000,
  });
  expect(app.offOrigin).toEqual([]);
});

test('a package dropped on the page generates the same adapter as the CLI', async ({ page }) => {
  const description = 'Translate English sentences into French.';
  const expected = cliAdapter(join(DEMO, 'packages', 'S'), description);
  const app = await openApp(page);
  const files = await Promise.all(
    ['t2l.json', 'model.onnx'].map(async (name) => ({
      name,
      base64: (await readFile(join(DEMO, 'packages', 'S', name))).toString('base64'),
    })),
  );
  // A drag from the file manager: enter shows the drop hint, drop opens the files.
  await page.evaluate((files) => {
    const data = new DataTransfer();
    for (const f of files) {
      const bytes = Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0));
      data.items.add(new File([bytes], f.name));
    }
    window.dispatchEvent(new DragEvent('dragenter', { dataTransfer: data }));
    window.dispatchEvent(new DragEvent('dragover', { dataTransfer: data, cancelable: true }));
  }, files);
  await expect(page.getByText('Drop a T2L folder')).toBeVisible();
  await page.evaluate((files) => {
    const data = new DataTransfer();
    for (const f of files) {
      const bytes = Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0));
      data.items.add(new File([bytes], f.name));
    }
    window.dispatchEvent(new DragEvent('drop', { dataTransfer: data, cancelable: true }));
  }, files);
  await expect(page.getByText('Drop a T2L folder')).toBeHidden();
  await expect(page.getByTestId('model-local-folder').locator('input')).toBeChecked();

  await chooseBackend(page, 'wasm');
  await page.locator('#description').fill(description);
  await generateAndWait(page);
  await expect(page.getByTestId('fact-checkpoint')).toContainText('(local folder)');
  expectSameAdapter((await downloadZip(page))['adapter_model.safetensors']!, await expected);
  expect(app.offOrigin).toEqual([]);
});

test('Cancel stops a generation at once, and the next one runs', async ({ page }) => {
  const app = await openApp(page);
  // Hold the package download so the generation is certainly in flight when Cancel is pressed.
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  await page.context().route('**/models/demo/packages/M/**', async (route) => {
    await held;
    await route.continue().catch(() => undefined);
  });
  await page.getByTestId('model-demo-M').click();
  await chooseBackend(page, 'wasm');
  await page.locator('#description').fill('Detect sarcasm in tweets.');
  await page.getByRole('button', { name: 'Generate adapter' }).click();
  await expect(page.getByTestId('progress')).toBeVisible();
  // Generate may first wait behind the page's pre-warm (wasm compile) in the worker's queue.
  await expect(page.getByTestId('stage-detail')).toContainText('Opening', { timeout: 150_000 });

  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByTestId('cancelled')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Generate adapter' })).toBeEnabled();
  await expect(page.getByTestId('result')).toBeHidden();

  release();
  await page.context().unroute('**/models/demo/packages/M/**');
  await generateAndWait(page);
  await expect(page.getByTestId('fact-variant')).toContainText('T2L-M');
  expect(app.offOrigin).toEqual([]);
});
