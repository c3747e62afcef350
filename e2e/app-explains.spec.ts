import { expect, test, type Page } from '@playwright/test';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseBackend, chooseModel, DEMO } from './app-support';

/** Issue #14 items 1–5: errors that say what is wrong and what to do, where the user looks. */

// The worker's first start on a cold, shared dev server can take longer than expect's default.
// A shared, loaded machine: starting the worker and generating can take minutes.
test.setTimeout(480_000);

async function ready(page: Page): Promise<void> {
  await expect(page.getByTestId('model-demo-L')).toBeVisible({ timeout: 150_000 });
  await expect(page.getByTestId('backend-status')).not.toContainText('Checking', {
    timeout: 150_000,
  });
}

async function open(page: Page, path = '/'): Promise<void> {
  await page.goto(path);
  await ready(page);
}

let scratch: string;

test.beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 't2l-e2e-explains-'));
});

test.afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function setRemote(page: Page, url: string): Promise<void> {
  await page.getByRole('button', { name: 'Settings' }).click();
  await page.getByLabel(/URL of an Open Inference Protocol server/).fill(url);
}

async function closeDialog(page: Page): Promise<void> {
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog')).toBeHidden();
}

test('a remote endpoint that is a web page, or down, gets advice about that server', async ({
  page,
  baseURL,
}) => {
  await open(page);
  // Settings checks the URL as it is typed.
  await setRemote(page, 'not a url');
  await expect(page.getByTestId('remote-url-problem')).toContainText('Not a URL');
  await expect(page.getByLabel(/URL of an Open Inference Protocol server/)).toHaveAttribute(
    'aria-invalid',
    'true',
  );
  // The app's own origin answers any path with its HTML page.
  await page.getByLabel(/URL of an Open Inference Protocol server/).fill(baseURL!);
  await expect(page.getByTestId('remote-url-problem')).toBeEmpty();
  await closeDialog(page);

  await chooseModel(page, 'demo-S');
  await page
    .getByRole('radiogroup', { name: 'Backend' })
    .getByText('Remote', { exact: true })
    .click();
  await page.locator('#description').fill('Answer trivia questions.');
  await page.getByRole('button', { name: 'Generate adapter' }).click();
  const error = page.getByTestId('error');
  await expect(error).toContainText('The remote endpoint is not an inference server');
  await expect(page.getByTestId('error-message')).toContainText(
    'an HTML page, not an Open Inference Protocol server',
  );
  await expect(page.getByTestId('error-hint')).toContainText('Settings');
  await expect(page.getByTestId('error-hint')).not.toContainText('network');
  // Retrying the same address cannot help.
  await expect(error.getByRole('button', { name: 'Try again' })).toHaveCount(0);
  // The URL in the message wraps inside the panel instead of being cut off.
  const overflow = await page
    .getByTestId('error-message')
    .evaluate((el) => el.scrollWidth - el.clientWidth);
  expect(overflow).toBeLessThanOrEqual(1);

  // A server that is down: advice about starting it, and retrying can help.
  await setRemote(page, 'http://localhost:9');
  await closeDialog(page);
  await page.getByRole('button', { name: 'Generate adapter' }).click();
  await expect(error).toContainText('The remote server did not answer');
  await expect(page.getByTestId('error-hint')).toContainText('t2l serve');
  await expect(page.getByTestId('error-hint')).not.toContainText('demo models work offline');
  await expect(error.getByRole('button', { name: 'Try again' })).toBeVisible();
});

test('an empty description is reported at the text box', async ({ page }) => {
  await open(page);
  await chooseModel(page, 'demo-S');
  await page.locator('#description').fill('  ');
  await page.getByRole('button', { name: 'Generate adapter' }).click();
  await expect(page.getByTestId('description-error')).toContainText('description is empty');
  await expect(page.locator('#description')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('#description')).toBeFocused();
  // Not as an error in the result panel.
  await expect(page.getByTestId('error')).toHaveCount(0);
  await expect(page.getByTestId('empty')).toBeVisible();
  await page.locator('#description').fill('Write haiku.');
  await expect(page.getByTestId('description-error')).toHaveCount(0);
});

test('folders are checked when picked: a PEFT adapter, a package without version', async ({
  page,
}) => {
  // What this app writes: a PEFT LoRA adapter folder.
  const peft = join(scratch, 't2l-summarize-news');
  await mkdir(peft, { recursive: true });
  await writeFile(join(peft, 'adapter_config.json'), '{"peft_type":"LORA"}');
  await writeFile(join(peft, 'adapter_model.safetensors'), new Uint8Array(16));
  await writeFile(join(peft, 'README.md'), '# adapter');

  await open(page);
  await page.getByTestId('folder-input').setInputFiles(peft);
  const problem = page.getByTestId('folder-problem');
  await expect(problem).toContainText('not a T2L hypernetwork');
  await expect(problem).toContainText('this is a LoRA adapter');
  await expect(problem).not.toContainText('Files are missing');

  // A package whose t2l.json has no version: picked fine by name, refused with a clear reason.
  const pkg = join(scratch, 'no_version');
  await mkdir(pkg, { recursive: true });
  await copyFile(join(DEMO, 'packages', 'S', 'model.onnx'), join(pkg, 'model.onnx'));
  const manifest = JSON.parse(await readFile(join(DEMO, 'packages', 'S', 't2l.json'), 'utf8'));
  delete manifest.version;
  await writeFile(join(pkg, 't2l.json'), JSON.stringify(manifest));
  await page.getByTestId('folder-input').setInputFiles(pkg);
  // A new pick clears the old folder's problem.
  await expect(problem).toHaveCount(0);
  await chooseBackend(page, 'wasm');
  await page.locator('#description').fill('Summarize news articles.');
  await page.getByRole('button', { name: 'Generate adapter' }).click();
  await expect(page.getByTestId('error-message')).toContainText(
    'version: expected the package format version, an integer',
    // The worker starts and opens the folder first: slow on a loaded 2-core machine.
    { timeout: 150_000 },
  );
  await expect(page.getByTestId('error-message')).not.toContainText('undefined');
  await expect(page.getByTestId('error').getByRole('button', { name: 'Try again' })).toHaveCount(0);
  // Picking the PEFT folder again replaces the result panel's old error.
  await page.getByTestId('folder-input').setInputFiles(peft);
  await expect(problem).toBeVisible();
  await expect(page.getByTestId('error')).toHaveCount(0);
});

test('a share link says what it ignored; a Hub path added under Your own says so', async ({
  page,
}) => {
  await open(page, '/?model=no-such-model&backend=quantum&zz=1&d=Write%20limericks');
  await expect(page.locator('#description')).toHaveValue('Write limericks');
  const notice = page.getByTestId('notice-share-link');
  await expect(notice).toContainText('backend=quantum');
  await expect(notice).toContainText('zz=1');
  await expect(notice).toContainText('model “no-such-model” is not listed');
  await notice.getByRole('button', { name: 'Dismiss' }).click();
  await expect(notice).toHaveCount(0);

  const input = page.getByLabel('Package or checkpoint location');
  await input.fill('justone');
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(page.getByTestId('model-url-status')).toContainText('owner/repo');
  await input.fill('SakanaAI/text-to-lora/trained_t2l/gemma_2b_t2l');
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(page.getByTestId('model-url-status')).toContainText(
    'Added “SakanaAI/text-to-lora/trained_t2l/gemma_2b_t2l” under Your own',
  );
  // Listed under Your own (not among the official cards), and selected.
  const yours = page.locator('fieldset', { hasText: 'Your own' });
  const added = yours.getByRole('radio', { name: /SakanaAI\/text-to-lora\/trained_t2l\/gemma/ });
  await expect(added).toBeChecked();
  // Adding it again says it is already there.
  await input.fill('SakanaAI/text-to-lora/trained_t2l/gemma_2b_t2l');
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(page.getByTestId('model-url-status')).toContainText('Already listed');
});

test('offline: Hub model cards say the Hub cannot be reached; a reload mid-run says interrupted', async ({
  page,
  context,
}) => {
  await open(page);
  await context.setOffline(true);
  await expect(
    page.getByTestId('model-mistral-7b-t2l').getByTestId('hub-unreachable'),
  ).toContainText('cannot be reached');
  await expect(page.getByTestId('model-demo-S').getByTestId('hub-unreachable')).toHaveCount(0);
  await context.setOffline(false);
  await expect(page.getByTestId('hub-unreachable')).toHaveCount(0);

  // Hold the demo package's graph so the run is still going when the page reloads.
  await page.route('**/models/demo/packages/M/model.onnx', () => undefined);
  await chooseModel(page, 'demo-M');
  await chooseBackend(page, 'wasm');
  await page.locator('#description').fill('Classify support tickets by urgency.');
  await page.getByRole('button', { name: 'Generate adapter' }).click();
  await expect(page.getByRole('button', { name: 'Cancel' })).toBeVisible();
  await page.unroute('**/models/demo/packages/M/model.onnx');
  await page.reload();
  await ready(page);
  await expect(page.getByTestId('error')).toContainText('The last generation was interrupted');
  await expect(page.getByTestId('error-message')).toContainText(
    'Classify support tickets by urgency.',
  );
  // Only once: the next reload starts clean.
  await page.reload();
  await ready(page);
  await expect(page.getByTestId('error')).toHaveCount(0);
});
