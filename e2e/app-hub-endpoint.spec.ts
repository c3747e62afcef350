import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Route } from '@playwright/test';
import { writeGteEncoder } from '../scripts/fixtures/write-tiny-encoder';
import { DEMO_SIZES } from '../src/fixtures/demo';
import { makeRandomCheckpoint } from '../src/fixtures/random-checkpoint';
import { chooseBackend, chooseModel, generateAndWait, openApp, ROOT } from './app-support';
import { E2E_PORT } from './ports';

/**
 * Issue #20 items 1, 4 and 5 (page side): with Settings → Hub endpoint pointing at a mirror, the
 * official catalog entry Mistral-7B · T2L takes the official path end to end (the other two are
 * generated in a cheap loop at the end): checkpoint and
 * text encoder (gte-large-en-v1.5's architecture, model_type "new") from the mirror at the pinned
 * revisions, first download with progress, a connection dropped half way and resumed, conversion,
 * generation, the token sent to the mirror only; after a reload, everything from the cache; Try
 * with the catalog's base GGUF for the entry (the tiny demo base under the real file's name). Any
 * request for another host, or for revision main of a pinned repository, fails the test.
 *
 * The mirror here is the spec's own route over the fixture folders (answers as the Hub's resolve
 * endpoint does: Content-Length, Accept-Ranges/206, ETag, X-Repo-Commit, 404 for anything else).
 */

test.setTimeout(600_000);

const MIRROR = `http://127.0.0.1:${E2E_PORT + 9}/hub`;
const APP = `localhost:${E2E_PORT}`;
const TOKEN = 'hf_e2e_token';

interface CatalogFile {
  models: {
    id: string;
    baseModel: string;
    source: { hub?: string; path?: string; revision?: string };
  }[];
  encoders: Record<string, { hub?: string; revision?: string }>;
}
const catalog = JSON.parse(
  readFileSync(join(ROOT, 'models', 'catalog.json'), 'utf8'),
) as CatalogFile;
const mistral = catalog.models.find((m) => m.id === 'mistral-7b-t2l')!;
const official = catalog.models.filter((m) => m.source.hub);
const GTE = 'Alibaba-NLP/gte-large-en-v1.5';
const gte = catalog.encoders[GTE]!;
const BASE = (mistral as unknown as { baseGguf: { hub: string; file: string; revision: string } })
  .baseGguf;
const PINNED = [...new Set([...official.map((m) => m.source.hub!), gte.hub!])];

let root: string;
/** Mirror path (after MIRROR) → local file. */
const files = new Map<string, string>();

test.beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 't2l-e2e-hub-'));
  // Small checkpoints carrying the released runs' names: the base model and the text encoder.
  for (const [i, entry] of official.entries()) {
    const ckpt = makeRandomCheckpoint({
      ...DEMO_SIZES,
      baseModel: entry.baseModel,
      embModel: GTE,
      seed: 20 + i,
    });
    const ckptDir = join(root, entry.id);
    await mkdir(ckptDir, { recursive: true });
    const repoPath = `/${entry.source.hub}/resolve/${entry.source.revision}/${entry.source.path}`;
    for (const [name, contents] of Object.entries(ckpt)) {
      await writeFile(join(ckptDir, name), contents);
      files.set(`${repoPath}/${name}`, join(ckptDir, name));
    }
  }
  const gteDir = join(root, 'gte');
  await writeGteEncoder(gteDir, { dtypes: ['fp32', 'q8'] });
  for (const name of [
    'config.json',
    'tokenizer.json',
    'tokenizer_config.json',
    'onnx/model.onnx',
    'onnx/model_quantized.onnx',
  ]) {
    files.set(`/${gte.hub}/resolve/${gte.revision}/${name}`, join(gteDir, name));
  }
});

test.afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

test('the official entries through a Hub mirror: pinned, resumed, token to the mirror only, cached, tried', async ({
  page,
}) => {
  const offHost: string[] = [];
  const unpinned: string[] = [];
  const served: { method: string; path: string; range: string; auth: string }[] = [];
  let cut = false;

  // Every request leaving the app goes through here: the mirror is answered, anything else fails.
  await page.context().route('**/*', async (route: Route) => {
    const url = route.request().url();
    if (url.startsWith(`http://${APP}/`) || /^(data|blob):/.test(url)) return route.fallback();
    if (!url.startsWith(`${MIRROR}/`)) {
      offHost.push(url);
      return route.abort('blockedbyclient');
    }
    const path = decodeURI(new URL(url).pathname.slice(new URL(MIRROR).pathname.length));
    // The catalog pins the checkpoints and the encoder (not the base GGUFs): never main for those.
    if (PINNED.some((repo) => path.startsWith(`/${repo}/resolve/main/`))) unpinned.push(url);
    const headers = route.request().headers();
    const method = route.request().method();
    served.push({
      method,
      path,
      range: headers['range'] ?? '',
      auth: headers['authorization'] ?? '',
    });
    const file = files.get(path);
    const found = file ? await stat(file).catch(() => null) : null;
    if (!file || !found) return route.fulfill({ status: 404, body: 'Entry not found' });
    const body = await readFile(file);
    const hubHeaders = {
      'accept-ranges': 'bytes',
      etag: `"${found.size.toString(16)}-${found.mtimeMs.toString(16)}"`,
      'x-repo-commit': path.split('/')[4] ?? '',
      'access-control-allow-origin': '*',
      'access-control-expose-headers': 'content-length, content-range, etag, x-repo-commit',
    };
    if (method === 'HEAD') {
      return route.fulfill({
        status: 200,
        headers: { ...hubHeaders, 'content-length': String(body.length) },
      });
    }
    const range = /^bytes=(\d+)-(\d*)$/.exec(headers['range'] ?? '');
    if (range) {
      const start = Number(range[1]);
      const end = range[2] ? Number(range[2]) : body.length - 1;
      return route.fulfill({
        status: 206,
        headers: {
          ...hubHeaders,
          'content-range': `bytes ${start}-${end}/${body.length}`,
          'content-length': String(end - start + 1),
        },
        body: body.subarray(start, end + 1),
      });
    }
    if (path.endsWith('/hypermod.pt') && !cut) {
      // The first answer promises the whole file but stops half way, as a dropped connection does.
      cut = true;
      return route.fulfill({
        status: 200,
        headers: { ...hubHeaders, 'content-length': String(body.length) },
        body: body.subarray(0, body.length >> 1),
      });
    }
    return route.fulfill({
      status: 200,
      headers: { ...hubHeaders, 'content-length': String(body.length) },
      body,
    });
  });

  // The catalog as published, except the base GGUF's size: the mirror serves the tiny demo base
  // under the real file's name, and the fit check reads the catalog's size.
  const baseFile = join(ROOT, 'models', 'demo', 'base', 'tiny-llama.gguf');
  const published = JSON.parse(readFileSync(join(ROOT, 'models', 'catalog.json'), 'utf8')) as {
    models: { id: string; baseGguf?: { size: number } }[];
  };
  published.models.find((m) => m.id === 'mistral-7b-t2l')!.baseGguf!.size = (
    await stat(baseFile)
  ).size;
  await page.route('**/models/catalog.json', (route) =>
    route.fulfill({ contentType: 'application/json', body: JSON.stringify(published) }),
  );
  files.set(`/${BASE.hub}/resolve/${BASE.revision}/${BASE.file}`, baseFile);

  await openApp(page);

  // Settings: a bad value is named and not used; the mirror and a token are kept in this browser.
  await page.getByRole('button', { name: 'Settings' }).click();
  const field = page.getByLabel('Hub endpoint (optional)');
  await field.fill('hf-mirror');
  await expect(page.getByTestId('hub-endpoint-problem')).toContainText('is not an absolute URL');
  await field.fill(MIRROR);
  await expect(page.getByTestId('hub-endpoint-problem')).toHaveText('');
  await page.locator('#hf-token').fill(TOKEN);
  await expect(page.getByText(`sent only to 127.0.0.1:${E2E_PORT + 9}/hub`)).toBeVisible();
  await page.keyboard.press('Escape');

  await chooseModel(page, 'mistral-7b-t2l');
  await expect(page.getByTestId('model-mistral-7b-t2l')).toContainText(
    `127.0.0.1:${E2E_PORT + 9}/hub/SakanaAI/text-to-lora/trained_t2l/mistral_7b_t2l`,
  );
  await chooseBackend(page, 'wasm');
  await page.locator('#description').fill('Answer grade-school math word problems step by step.');
  await page.getByRole('button', { name: 'Generate adapter' }).click();
  // First download, with progress rows for the mirror's files.
  await expect(page.getByTestId('file-progress').first()).toBeVisible({ timeout: 150_000 });
  await expect(page.getByTestId('result').or(page.getByTestId('error'))).toBeVisible({
    timeout: 400_000,
  });
  if (await page.getByTestId('error').isVisible()) {
    throw new Error(`the page shows an error: ${await page.getByTestId('error').innerText()}`);
  }

  await expect(page.getByTestId('fact-hub-endpoint')).toHaveText(MIRROR);
  await expect(page.getByTestId('fact-revision')).toContainText(mistral.source.revision!);
  await expect(page.getByTestId('fact-encoder-revision')).toContainText(gte.revision!);
  await expect(page.getByTestId('fact-encoder')).toContainText(GTE);
  const downloaded = page.getByTestId('fact-files').locator('[data-outcome="downloaded"]');
  await expect(downloaded).toHaveAttribute('data-names', /hypermod\.pt/);
  await expect(downloaded).toHaveAttribute('data-names', /model_quantized\.onnx/);

  // The cut download resumed with a Range request; every mirror request carried the token.
  const ckptGets = served.filter(
    (s) => s.path.endsWith('/hypermod.pt') && s.method === 'GET' && s.range !== 'bytes=0-0',
  );
  expect(ckptGets.map((s) => s.range)).toEqual(['', expect.stringMatching(/^bytes=\d+-$/)]);
  expect(served.length).toBeGreaterThan(0);

  // A reload: the setting is kept, and the files come from the cache (nothing downloaded again).
  const before = served.length;
  await page.reload();
  await expect(page.getByTestId('model-mistral-7b-t2l').locator('input')).toBeChecked({
    timeout: 150_000,
  });
  await generateAndWait(page);
  await expect(page.getByTestId('fact-files').locator('[data-outcome="downloaded"]')).toHaveCount(
    0,
  );
  await expect(page.getByTestId('fact-files').locator('[data-outcome="cached"]')).toBeVisible();
  expect(served.slice(before).filter((s) => s.method === 'GET' && s.range !== 'bytes=0-0')).toEqual(
    [],
  );

  // Try with the catalog's base for this entry, downloaded from the mirror too.
  await page.getByTestId('try-toggle').click();
  await expect(page.getByTestId('try-base')).toContainText('Mistral-7B');
  await page.getByTestId('try-prompt').fill('Tell me about the sky.');
  await page.getByTestId('try-max-tokens').fill('4');
  await page.getByTestId('try-run').click();
  const output = page.getByTestId('try-output');
  await expect(output.or(page.getByTestId('try-error'))).toBeVisible({ timeout: 150_000 });
  await expect(output).toHaveAttribute('data-status', /^(done|error|refused)$/, {
    timeout: 400_000,
  });
  await expect(page.getByTestId('try-error')).toHaveCount(0);
  await expect(output).toHaveAttribute('data-status', 'done');
  expect(served.some((s) => s.path.endsWith(`/${BASE.file}`) && s.method === 'GET')).toBe(true);

  // The other official entries (a cheap loop): generated from the mirror at their pins.
  for (const entry of official.filter((m) => m !== mistral)) {
    await chooseModel(page, entry.id);
    await chooseBackend(page, 'wasm');
    await generateAndWait(page);
    await expect(page.getByTestId('fact-revision')).toContainText(entry.source.revision!);
    await expect(page.getByTestId('fact-hub-endpoint')).toHaveText(MIRROR);
    await expect(
      page.getByTestId('fact-files').locator('[data-outcome="downloaded"]'),
    ).toHaveAttribute('data-names', /hypermod\.pt/);
  }

  for (const s of served) expect(s.auth, s.path).toBe(`Bearer ${TOKEN}`);
  expect(unpinned).toEqual([]);
  expect(offHost).toEqual([]);
});

test('a gated repository on the mirror, without a token: the advice names the endpoint and the token', async ({
  page,
}) => {
  const offHost: string[] = [];
  await page.context().route('**/*', async (route: Route) => {
    const url = route.request().url();
    if (url.startsWith(`http://${APP}/`) || /^(data|blob):/.test(url)) return route.fallback();
    if (!url.startsWith(`${MIRROR}/`)) {
      offHost.push(url);
      return route.abort('blockedbyclient');
    }
    // As the Hub answers a gated repository's files without a token.
    return route.fulfill({
      status: 401,
      headers: { 'access-control-allow-origin': '*', 'x-error-code': 'GatedRepo' },
      body: 'Access to this model is restricted.',
    });
  });
  await page.addInitScript((endpoint) => {
    // The Settings store's own key and shape (stores/settings.ts), as a previous visit left it.
    if (!localStorage.getItem('t2l-settings')) {
      localStorage.setItem(
        't2l-settings',
        JSON.stringify({ state: { hubEndpoint: endpoint }, version: 1 }),
      );
    }
  }, MIRROR);
  await openApp(page);
  await chooseModel(page, 'mistral-7b-t2l');
  await chooseBackend(page, 'wasm');
  await page.locator('#description').fill('Answer grade-school math word problems step by step.');
  await page.getByRole('button', { name: 'Generate adapter' }).click();
  await expect(page.getByTestId('error')).toBeVisible({ timeout: 150_000 });
  await expect(page.getByTestId('error')).toContainText(
    `The Hub endpoint 127.0.0.1:${E2E_PORT + 9}/hub refused the download`,
  );
  await expect(page.getByTestId('error-hint')).toContainText('add a Hugging Face token');
  expect(offHost).toEqual([]);
});
