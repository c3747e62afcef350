/**
 * The Try panel: generate with the demo T2L, then run a fixed prompt on the demo base GGUF in the
 * page (wllama, wasm) with the generated GGUF LoRA mounted from memory. Greedy outputs: scale 0 is
 * exactly the base model's text (checked against a second LLM worker that loads the base with no
 * adapter at all), scale 1 differs; bad base files fail in place and nothing else is lost.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { TINY_CHAT_TEMPLATE, makeTinyBase, tinyBaseGguf } from '../src/fixtures/tiny-base';
import { baseWithTemplate, caseTemplate } from '../test/support/cases-22';
import { chooseBackend, chooseModel, DEMO, runT2l } from './app-support';

// Loading the text encoder, generating and running llama.cpp on wasm: slow on a shared 2-core box.
test.setTimeout(900_000);

const DESCRIPTION = 'Answer questions about the sky and the weather.';
const PROMPT = 'Tell me about the sky.';
const MAX_TOKENS = 12;

/** openApp, with more time for the first capability check on a loaded machine. */
async function open(page: Page): Promise<{ offOrigin: string[] }> {
  const offOrigin: string[] = [];
  page.context().on('request', (req) => {
    const url = new URL(req.url());
    if (url.protocol === 'data:' || url.protocol === 'blob:') return;
    if (!['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)) offOrigin.push(req.url());
  });
  page.on('pageerror', (e) => console.log('[page exception]', e.message));
  await page.goto('/');
  await expect(page.getByTestId('model-demo-L')).toBeVisible({ timeout: 120_000 });
  await expect(page.getByTestId('backend-status')).not.toContainText('Checking', {
    timeout: 180_000,
  });
  return { offOrigin };
}

async function generateDemo(page: Page) {
  const app = await open(page);
  await chooseModel(page, 'demo-L');
  await chooseBackend(page, 'wasm');
  await page.locator('#description').fill(DESCRIPTION);
  // generateAndWait, with the time a machine shared by many test runs needs.
  await page.getByRole('button', { name: 'Generate adapter' }).click();
  await expect(page.getByTestId('result').or(page.getByTestId('error'))).toBeVisible({
    timeout: 400_000,
  });
  await expect(page.getByTestId('result')).toBeVisible();
  await page.getByTestId('try-toggle').click();
  await page.getByTestId('try-prompt').fill(PROMPT);
  await page.getByTestId('try-max-tokens').fill(String(MAX_TOKENS));
  return app;
}

async function setScale(page: Page, scale: number) {
  await page.getByTestId('try-scale').fill(String(scale));
  await expect(page.getByTestId('try-scale-value')).toHaveText(scale.toFixed(2));
}

interface CliTry {
  base: { text: string; tokens: number[] };
  adapted: { text: string; tokens: number[] };
}

/** What `t2l try --json` (llama.cpp through node-llama-cpp) answers for the same inputs. */
async function cliTry(): Promise<CliTry> {
  const { stdout } = await runT2l([
    'try',
    join(DEMO, 'packages', 'L'),
    '--encoder',
    join(DEMO, 'encoder'),
    '--description',
    DESCRIPTION,
    '--base',
    join(DEMO, 'base', 'tiny-llama.gguf'),
    '--prompt',
    PROMPT,
    '--max-tokens',
    String(MAX_TOKENS),
    '--threads',
    '1',
    '--json',
  ]);
  return JSON.parse(stdout) as CliTry;
}

/** Runs the prompt and returns the finished output. */
async function run(page: Page): Promise<string> {
  await page.getByTestId('try-run').click();
  const output = page.getByTestId('try-output');
  await expect(output.or(page.getByTestId('try-error'))).toBeVisible();
  await expect(output).toHaveAttribute('data-status', /^(done|error|refused)$/, {
    timeout: 400_000,
  });
  if (await page.getByTestId('try-error').isVisible()) {
    throw new Error(`Try shows an error: ${await page.getByTestId('try-error').innerText()}`);
  }
  return output.innerText();
}

/** Expects the generated adapter and its description to be still there. */
async function expectResultKept(page: Page) {
  await expect(page.getByTestId('result')).toBeVisible();
  await expect(page.getByTestId('result')).toContainText(DESCRIPTION);
  await expect(page.getByTestId('download-zip')).toBeEnabled();
}

// One page and one generated adapter for both tests: the second goes on from where the first
// leaves the panel (the base files it tries are its own), and generating costs a page start, the
// text encoder and the hypernetwork.
test.describe.configure({ mode: 'serial' });

let page: Page;
let app: { offOrigin: string[] };
/** `t2l try` in Node, started beside the page's generation (it needs nothing from the page). */
let cli: Promise<CliTry>;

test.beforeAll(async ({ browser }) => {
  cli = cliTry();
  // Awaited in the first test; a failure there is reported there, not as an unhandled rejection.
  cli.catch(() => {});
  page = await (await browser.newContext()).newPage();
  app = await generateDemo(page);
});

test.afterAll(async () => {
  await page.context().close();
});

test('Try: greedy output at scale 0 is the base model’s, at scale 1 the adapter changes it', async () => {
  await expect(page.getByTestId('try-base')).toContainText('tiny-demo-base');
  // The panel sits right under the result card whose adapter it runs, in the same column.
  const card = (await page.getByTestId('result').boundingBox())!;
  const panel = (await page.getByTestId('try-panel').boundingBox())!;
  expect(panel.y).toBeGreaterThanOrEqual(card.y + card.height);
  expect(panel.y - (card.y + card.height)).toBeLessThan(80);
  expect(Math.abs(panel.x - card.x)).toBeLessThan(40);

  await setScale(page, 0);
  const base = await run(page);
  await expect(page.getByTestId('try-backend')).toHaveText(/^wasm · \d+ threads?$/);
  await expect(page.getByTestId('try-model')).toContainText('llama · 4 layers');
  await expect(page.getByTestId('try-model')).toContainText('chat template from the GGUF');
  await expect(page.getByTestId('try-model')).toContainText('base loaded 1×');
  await expect(page.getByTestId('try-tps')).toHaveText(/tokens\/s$/);
  expect(base.trim().length).toBeGreaterThan(0);

  await setScale(page, 1);
  const adapted = await run(page);
  expect(adapted).not.toEqual(base);
  // docs/app.md's screenshot-try.png is taken from here.
  await page.getByTestId('try-panel').screenshot({ path: test.info().outputPath('try-panel.png') });
  // Switching scale (and back) never reloads the base, and never mixes in a cached prompt.
  await setScale(page, 0);
  expect(await run(page)).toEqual(base);
  await expect(page.getByTestId('try-model')).toContainText('base loaded 1×');

  // The base alone, in a second LLM worker with no adapter mounted: the same text as scale 0.
  // The harness page (same origin, so the same cached base file) works on the dev server and on
  // the production build alike; the app's own modules are not addressable on the build.
  const harness = await page.context().newPage();
  let plain: string;
  try {
    await harness.goto('/e2e/harness/index.html');
    await expect(harness.locator('#status')).toHaveText('ready');
    plain = await harness.evaluate(
      ({ prompt, maxTokens }) =>
        window.t2lHarness.llmBaseAlone('/models/demo/base/tiny-llama.gguf', prompt, maxTokens),
      { prompt: PROMPT, maxTokens: MAX_TOKENS },
    );
  } finally {
    await harness.close();
  }
  expect(plain).toEqual(base);

  // The same model, adapter (generated by the CLI from the same description) and prompt in Node's
  // llama.cpp: the same greedy texts (pieces streamed vs detokenized at once: compared trimmed).
  const node = await cli;
  expect(base.trim()).toEqual(node.base.text.trim());
  expect(adapted.trim()).toEqual(node.adapted.text.trim());
  expect(app.offOrigin).toEqual([]);
});

test('Try: bad base files and a base too large fail in place, the adapter stays', async () => {
  // A device that says it has 2 GB: an 8B model must be refused before any download (the Try
  // panel reads navigator.deviceMemory when a run starts).
  await page.evaluate(() =>
    Object.defineProperty(Navigator.prototype, 'deviceMemory', { get: () => 2 }),
  );
  const dir = await mkdtemp(join(tmpdir(), 't2l-try-'));
  const demoBase = await readFile(join(DEMO, 'base', 'tiny-llama.gguf'));

  const useFile = async (name: string, bytes: Uint8Array) => {
    const path = join(dir, name);
    await writeFile(path, bytes);
    await page.getByTestId('try-own-file').setInputFiles(path);
    await expect(page.getByTestId('try-base')).toContainText(name);
    await page.getByTestId('try-run').click();
    await expect(page.getByTestId('try-error')).toBeVisible({ timeout: 120_000 });
    await expectResultKept(page);
    return page.getByTestId('try-error-message').innerText();
  };

  // Another architecture: a gemma2 base.
  const gemma = tinyBaseGguf(makeTinyBase({ arch: 'gemma2', layers: 2, seed: 5 }));
  expect(await useFile('tiny-gemma2.gguf', gemma)).toMatch(
    /gemma2 with 2 layers.*llama with 4 layers/,
  );
  // Same architecture, other shapes: hidden 32 instead of 64.
  const narrow = tinyBaseGguf(makeTinyBase({ arch: 'llama', layers: 4, hidden: 32, seed: 6 }));
  expect(await useFile('tiny-narrow.gguf', narrow)).toMatch(/attn_q\.weight is 32 → .*64 → 64/);
  // Truncated: the demo base cut in half.
  expect(await useFile('cut.gguf', demoBase.subarray(0, demoBase.length >> 1))).toMatch(
    /truncated/i,
  );
  // Not a GGUF at all.
  expect(await useFile('notes.gguf', new TextEncoder().encode('just some text\n'))).toMatch(
    /not a GGUF/i,
  );
  // A chat template that would run 10^9 loop steps (chat-template-unbounded/range-1e9-lit):
  // rendered in the LLM worker within its budget, so the page answers and says what to do.
  const loop = baseWithTemplate(caseTemplate('range-1e9-lit'), TINY_CHAT_TEMPLATE);
  expect(await useFile('loop.gguf', loop)).toMatch(
    /loop\.gguf: the chat template \(tokenizer\.chat_template\) ran past its budget .*turn on "Plain prompt"/,
  );
  await expect(page.getByTestId('try-prompt')).toBeEditable({ timeout: 1000 });
  // The switch it names: the same file runs as a plain prompt.
  await page.getByTestId('try-plain-prompt').check();
  expect((await run(page)).trim().length).toBeGreaterThan(0);
  await page.getByTestId('try-plain-prompt').uncheck();

  // Too large for the device: refused before downloading, with the reason.
  const llama8b = page.getByTestId('try-base').locator('option', { hasText: 'Llama-3.1-8B' });
  await page.getByTestId('try-base').selectOption((await llama8b.getAttribute('value'))!);
  await expect(page.getByTestId('try-base-note')).toContainText('Needs a large machine');
  await page.getByTestId('try-run').click();
  await expect(page.getByTestId('try-refused')).toContainText('this device reports 2 GB');
  await expectResultKept(page);
  expect(app.offOrigin).toEqual([]);

  // And the demo base still runs after all that.
  const demo = page.getByTestId('try-base').locator('option', { hasText: 'tiny-demo-base' });
  await page.getByTestId('try-base').selectOption((await demo.getAttribute('value'))!);
  expect((await run(page)).trim().length).toBeGreaterThan(0);
});
