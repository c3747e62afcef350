import { expect, test, type Page } from '@playwright/test';
import { join } from 'node:path';
import { bodyLockName } from '../src/app/shared/stored-bodies';
import {
  cliAdapter,
  DEMO,
  downloadZip,
  expectSameAdapter,
  generateAndWait,
  openAndGenerate,
  waitUntilReady,
} from './app-support';

/**
 * The browser cache: what a generation downloads is kept across reloads (with the description),
 * listed in the Cache view, and a damaged entry is detected and downloaded again, never used.
 */

const PACKAGE = '/models/demo/packages/M/';

async function outcomeNames(page: Page, outcome: string): Promise<string[]> {
  const item = page.getByTestId('fact-files').locator(`[data-outcome="${outcome}"]`);
  if ((await item.count()) === 0) return [];
  return ((await item.getAttribute('data-names')) ?? '').split(',').sort();
}

/**
 * Flips a byte of two cached files (the package's graph and the text encoder's) and cuts another
 * short, as a disk error or a bad write might. The encoder's keeps its size, so only its checksum
 * can find it. Large files' bytes are in OPFS
 * (the entry names the file in `x-t2l-body`), small ones are the entry's body: both are damaged
 * where they are, and which is where is returned.
 */
async function damageCache(page: Page): Promise<Array<{ url: string; inOpfs: boolean }>> {
  return page.evaluate(async (pkg) => {
    const cache = await caches.open('t2l-files-v1');
    const bodies = await (
      await navigator.storage.getDirectory()
    )
      .getDirectoryHandle('t2l-files-v1')
      .catch(() => null);
    const damaged: Array<{ url: string; inOpfs: boolean }> = [];
    for (const req of await cache.keys()) {
      if (!req.url.includes(pkg) && !req.url.includes('/models/demo/encoder/onnx/')) continue;
      const res = (await cache.match(req))!;
      const body = res.headers.get('x-t2l-body');
      const file = body ? await bodies!.getFileHandle(body) : null;
      const bytes = new Uint8Array(
        file ? await (await file.getFile()).arrayBuffer() : await res.arrayBuffer(),
      );
      const mid = bytes.length >> 1;
      const flip = req.url.endsWith('.onnx');
      if (flip) bytes[mid] = bytes[mid]! ^ 0xff;
      const changed = flip ? bytes : bytes.subarray(0, bytes.length - 10);
      if (file) {
        // The new page's pre-warm may still be reading or hashing the file (a sync access handle
        // locks it against writers until it is closed): wait for it to let go.
        let out: FileSystemWritableFileStream | null = null;
        for (let tries = 0; !out; tries++) {
          out = await file.createWritable().catch((e: unknown) => {
            if (tries > 240) throw e;
            return new Promise<null>((r) => setTimeout(() => r(null), 250));
          });
        }
        await out.write(changed);
        await out.close();
      } else {
        await cache.put(req, new Response(changed, { headers: res.headers }));
      }
      damaged.push({ url: req.url, inOpfs: file !== null });
    }
    return damaged;
  }, PACKAGE);
}

/**
 * Turns one of the encoder's small entries (`file`, e.g. tokenizer.json) into one written before
 * entries had a checksum (no `x-t2l-xxh128`): intact, it must still be used, after a SHA-256
 * check, and be rewritten with one; with `damage`, one byte changed (the size kept), only that
 * SHA-256 check can find it, and the file must be downloaded again.
 */
async function makeLegacyEntry(page: Page, file: string, damage = false): Promise<string> {
  const { url, body } = await page.evaluate(
    async ({ file, damage }) => {
      const cache = await caches.open('t2l-files-v1');
      const req = (await cache.keys()).find((r) => r.url.endsWith(`/encoder/${file}`))!;
      const res = (await cache.match(req))!;
      const headers = new Headers(res.headers);
      headers.delete('x-t2l-xxh128');
      const bytes = new Uint8Array(await res.arrayBuffer());
      const mid = bytes.length >> 1;
      if (damage) bytes[mid] = bytes[mid]! ^ 0x01;
      await cache.put(req, new Response(bytes, { headers }));
      return { url: req.url, body: res.headers.get('x-t2l-body') };
    },
    { file, damage },
  );
  // Small enough to be its entry's own body (as every entry was before OPFS).
  expect(body).toBeNull();
  return url;
}

/** The checksum header of a cache entry (null when it has none). */
function checksumOf(page: Page, url: string): Promise<string | null> {
  return page.evaluate(
    async (u) =>
      (await (await caches.open('t2l-files-v1')).match(u))?.headers.get('x-t2l-xxh128') ?? null,
    url,
  );
}

/** The names of the files in the cache's OPFS folder (none when it does not exist). */
function opfsBodies(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const dir = await (
      await navigator.storage.getDirectory()
    )
      .getDirectoryHandle('t2l-files-v1')
      .catch(() => null);
    const names: string[] = [];
    if (dir)
      for await (const name of (dir as unknown as { keys(): AsyncIterable<string> }).keys())
        names.push(name);
    return names;
  });
}

test('a reload keeps the description and the cache; damaged cache entries are refetched', async ({
  page,
}) => {
  // Three page loads and two generations: more than one test's default time on a loaded machine.
  test.setTimeout(420_000);
  const description = 'Answer grade-school science questions by reasoning about the concept.';
  const expected = cliAdapter(join(DEMO, 'packages', 'M'), description);
  const packageRequests: string[] = [];
  const encoderRequests: string[] = [];
  page.context().on('request', (r) => {
    if (r.url().includes(PACKAGE)) packageRequests.push(r.url());
    if (r.url().includes('/models/demo/encoder/')) encoderRequests.push(r.url());
  });
  const app = await openAndGenerate(page, 'demo-M', 'wasm', description);
  expect(await outcomeNames(page, 'downloaded')).toEqual(
    expect.arrayContaining(['model.onnx', 't2l.json']),
  );

  // After a reload: the description, the model choice and the cached files are all still there.
  await page.reload();
  await waitUntilReady(page);
  await expect(page.locator('#description')).toHaveValue(description);
  await expect(page.getByTestId('model-demo-M').locator('input')).toBeChecked();
  await expect(page.getByTestId('model-demo-M')).toContainText('cached');
  await page.getByRole('button', { name: 'Cache' }).click();
  const view = page.getByTestId('cache-view');
  await expect(view.getByTestId('cache-group').filter({ hasText: 'Demo T2L-M' })).toContainText(
    'model.onnx',
  );
  await expect(view.getByTestId('cache-group').filter({ hasText: 'Text encoder' })).toContainText(
    'model.onnx',
  );
  await page.keyboard.press('Escape');
  await expect(view).toBeHidden();

  // Damage the cached package (a flipped byte, a cut-off file) and the encoder's graph. The next
  // generation, in a reloaded page, reads the encoder's other files from the cache without a
  // request, notices the three damaged files, downloads just those again, and the adapter is
  // still right.
  // The two graphs (968 KB, 2.1 MB) are large enough for OPFS; t2l.json stays in Cache Storage.
  const damaged = await damageCache(page);
  expect(damaged.map((d) => [d.url.split('/').slice(-2).join('/'), d.inOpfs]).sort()).toEqual([
    ['M/model.onnx', true],
    ['M/t2l.json', false],
    ['onnx/model.onnx', true],
  ]);
  const legacy = await makeLegacyEntry(page, 'tokenizer.json');
  expect(await checksumOf(page, legacy)).toBeNull();
  // Another entry without a checksum, damaged: its SHA-256 finds it (none of the checks above do).
  await makeLegacyEntry(page, 'config.json', true);
  // A new page: the worker of this one already holds the session it opened from the intact files.
  // The pre-warm of the new page finds the damage and leaves it to Generate, which reports it.
  await page.reload();
  await waitUntilReady(page);
  packageRequests.length = 0;
  encoderRequests.length = 0;
  await generateAndWait(page);
  // The demo encoder is fp32 only: its graph is onnx/model.onnx too.
  expect(await outcomeNames(page, 'refetched')).toEqual([
    'config.json',
    'model.onnx',
    'model.onnx',
    't2l.json',
  ]);
  expect(await outcomeNames(page, 'cached')).toEqual(
    expect.arrayContaining(['tokenizer.json', 'tokenizer_config.json']),
  );
  expect(await outcomeNames(page, 'downloaded')).toEqual([]);
  // The entry without a checksum was used (SHA-256 checked) and now has one.
  await expect.poll(() => checksumOf(page, legacy)).toMatch(/^[0-9a-f]{32}$/);
  expect(encoderRequests.map((u) => u.split('/encoder/')[1]).sort()).toEqual([
    'config.json',
    'onnx/model.onnx',
  ]);
  expect(packageRequests.filter((u) => u.endsWith('model.onnx'))).toHaveLength(1);
  expectSameAdapter((await downloadZip(page))['adapter_model.safetensors']!, await expected);

  // Bodies no entry names (a write cut off when its tab closed, a Clear while another tab read
  // one) are removed when the cache is listed (Refresh, or the next start); one whose lock a writer
  // holds (its body written, its entry not yet: another tab) is kept.
  const named = await page.evaluate(async () => {
    const cache = await caches.open('t2l-files-v1');
    const bodies: string[] = [];
    for (const req of await cache.keys()) {
      const body = (await cache.match(req))?.headers.get('x-t2l-body');
      if (body) bodies.push(body);
    }
    return bodies;
  });
  expect(named).toHaveLength(2);
  expect((await opfsBodies(page)).sort()).toEqual([...named].sort());
  await page.evaluate(async (lock) => {
    const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('t2l-files-v1');
    for (const name of ['orphan-cut-off', 'orphan-being-written']) {
      const w = await (await dir.getFileHandle(name, { create: true })).createWritable();
      await w.write(new Uint8Array(1024));
      await w.close();
    }
    const held = await new Promise<() => void>((take) => {
      void navigator.locks.request(lock, () => new Promise<void>((release) => take(release)));
    });
    (window as unknown as { releaseWriter: () => void }).releaseWriter = held;
  }, bodyLockName('orphan-being-written'));
  await page.getByRole('button', { name: 'Cache' }).click();
  await page.getByRole('button', { name: 'Refresh' }).click();
  await expect
    .poll(async () => (await opfsBodies(page)).sort())
    .toEqual([...named, 'orphan-being-written'].sort());
  await page.evaluate(() => (window as unknown as { releaseWriter: () => void }).releaseWriter());

  // Clearing the cache empties the view.
  await page.getByTestId('cache-clear').click();
  await expect(page.getByTestId('cache-empty')).toBeVisible();
  expect(await opfsBodies(page)).toEqual([]);
  expect(app.offOrigin).toEqual([]);
});

/**
 * The encoder's graph cached before entries had a checksum (its bytes the entry's own body, as
 * every entry's were before OPFS): it is used after a SHA-256 check and rewritten whole, with a
 * checksum and its bytes in OPFS. Its bytes are handed (transferred) to the encoder's worker, so a
 * rewrite that still read them afterwards would store an empty file.
 */
test('a large entry without a checksum is used and rewritten whole into OPFS', async ({ page }) => {
  test.setTimeout(300_000);
  await openAndGenerate(page, 'demo-M', 'wasm', 'Answer questions.');
  const graph = await page.evaluate(async () => {
    const cache = await caches.open('t2l-files-v1');
    const req = (await cache.keys()).find((r) => r.url.endsWith('/encoder/onnx/model.onnx'))!;
    const res = (await cache.match(req))!;
    const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('t2l-files-v1');
    const body = res.headers.get('x-t2l-body')!;
    const bytes = await (await (await dir.getFileHandle(body)).getFile()).arrayBuffer();
    const headers = new Headers(res.headers);
    headers.delete('x-t2l-xxh128');
    headers.delete('x-t2l-body');
    headers.set('content-length', String(bytes.byteLength));
    await cache.put(req, new Response(bytes, { headers }));
    await dir.removeEntry(body);
    // Without one of the encoder's small files the pre-warm (cache only) cannot load the encoder,
    // so Generate loads it, and reads the graph.
    const config = (await cache.keys()).find((r) => r.url.endsWith('/tokenizer_config.json'))!;
    await cache.delete(config);
    return { url: req.url, body, size: bytes.byteLength };
  });
  await page.reload();
  await waitUntilReady(page);
  await generateAndWait(page);
  const stored = () =>
    page.evaluate(async (url) => {
      const res = await (await caches.open('t2l-files-v1')).match(url);
      const body = res?.headers.get('x-t2l-body');
      const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('t2l-files-v1');
      const file = body ? await (await dir.getFileHandle(body)).getFile() : null;
      return {
        size: Number(res?.headers.get('x-t2l-size')),
        checksum: /^[0-9a-f]{32}$/.test(res?.headers.get('x-t2l-xxh128') ?? ''),
        body: file?.size ?? null,
      };
    }, graph.url);
  await expect.poll(stored).toEqual({ size: graph.size, checksum: true, body: graph.size });
});
