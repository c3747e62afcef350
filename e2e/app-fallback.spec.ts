import { expect, test, type Page, type Route } from '@playwright/test';
import { join } from 'node:path';
import { spawnServe, type ServeProcess } from '../test/support/t2l-serve';
import {
  chooseModel,
  cliAdapter,
  DEMO,
  downloadZip,
  expectSameAdapter,
  generateAndWait,
  openApp,
} from './app-support';

/**
 * A browser with neither WebGPU nor WebAssembly: the app chooses the remote endpoint by itself,
 * the server embeds the description (the page's encoder needs WebAssembly) and runs the
 * hypernetwork, and the adapter equals the CLI's.
 *
 * Chromium has no switch that removes WebAssembly (`--js-flags=--noexpose-wasm` leaves it), so the
 * test takes both away where the app looks for them: in its worker, before the worker's own code
 * runs. The worker's script is answered with a small module that first imports a prelude (which
 * deletes `WebAssembly` and `navigator.gpu` and holds back messages), then re-exports the real
 * script (marked so that the route lets it through), then hands it the held messages. The
 * re-export matters on the production build, where the worker's lazily imported chunk imports
 * shared code back from the worker's own script URL, that is, from this wrapper. The app's code
 * runs unchanged.
 */

const REAL = 't2l-real-worker';
const PRELUDE = 't2l-worker-prelude';
const marked = (url: string, mark: string) => `${url}${url.includes('?') ? '&' : '?'}${mark}`;
const unmarked = (url: string, mark: string) => url.replace(new RegExp(`[?&]${mark}$`), '');

async function withoutWasmAndWebGpu(page: Page): Promise<string[]> {
  const wrapped: string[] = [];
  await page.route(
    (url) => url.pathname.includes('t2l.worker'),
    async (route: Route) => {
      const url = route.request().url();
      if (url.endsWith(REAL)) {
        return route.fulfill({ response: await route.fetch({ url: unmarked(url, REAL) }) });
      }
      // The original answer's headers (COEP among them: the page is cross-origin isolated).
      const original = await route.fetch({ url: unmarked(url, PRELUDE) });
      if (url.endsWith(PRELUDE)) {
        const prelude = [
          'delete globalThis.WebAssembly;',
          'delete Object.getPrototypeOf(navigator).gpu;',
          // Messages that arrive while the real script loads would find no handler yet: held back.
          'const held = [];',
          'const hold = (e) => { held.push(e); e.stopImmediatePropagation(); };',
          "self.addEventListener('message', hold);",
          'self.t2lReleaseHeld = () => {',
          "  self.removeEventListener('message', hold);",
          "  for (const e of held) self.dispatchEvent(new MessageEvent('message', { data: e.data }));",
          '};',
        ].join('\n');
        return route.fulfill({ response: original, body: prelude });
      }
      wrapped.push(url);
      const body = [
        `import ${JSON.stringify(marked(url, PRELUDE))};`,
        `export * from ${JSON.stringify(marked(url, REAL))};`,
        'self.t2lReleaseHeld();',
      ].join('\n');
      return route.fulfill({ response: original, body });
    },
  );
  return wrapped;
}

let server: ServeProcess;

test.beforeAll(async ({ baseURL }) => {
  server = await spawnServe([
    join(DEMO, 'packages'),
    '--encoder',
    join(DEMO, 'encoder'),
    '--cors-origin',
    new URL(baseURL!).origin,
  ]);
});

test.afterAll(async () => {
  await server?.stop();
});

test('No WebGPU and no WebAssembly: Auto falls back to `t2l serve`, which also embeds the text', async ({
  page,
}) => {
  const description = 'Translate English product reviews into polite French replies.';
  const expected = cliAdapter(join(DEMO, 'packages', 'L'), description);
  const wrapped = await withoutWasmAndWebGpu(page);
  // A worker whose script the test answered has no address of its own, so Chromium's Local
  // Network Access counts it as public and blocks its requests to 127.0.0.1 unless allowed.
  // (A Chromium without Local Network Access does not know the permission, and needs none.)
  await page
    .context()
    .grantPermissions(['local-network-access'])
    .catch((e: unknown) => console.log(`no local-network-access permission: ${String(e)}`));
  await openApp(page);
  expect(wrapped.length, 'the app worker was started through the test wrapper').toBeGreaterThan(0);

  // Nothing runs locally, and without an endpoint the page says what to do.
  await chooseModel(page, 'demo-L');
  await expect(page.getByTestId('backend-status')).toContainText(
    'No WebGPU, no WebAssembly: remote only',
  );
  await expect(page.getByTestId('backend-reason')).toContainText(
    'configure a remote endpoint in Settings',
  );

  await page.getByRole('button', { name: 'Settings' }).click();
  await page.getByLabel('URL of an Open Inference Protocol server').fill(server.url);
  await page.keyboard.press('Escape');

  // Auto (the default) now picks the remote endpoint and says why.
  await expect(
    page.getByRole('radiogroup', { name: 'Backend' }).getByRole('radio', { name: 'Auto' }),
  ).toBeChecked();
  await expect(page.getByTestId('backend-reason')).toContainText(
    'neither WebGPU nor WebAssembly is available here',
  );

  await page.locator('#description').fill(description);
  await generateAndWait(page);

  await expect(page.getByTestId('fact-backend').locator('[data-backend]')).toHaveAttribute(
    'data-backend',
    'remote',
  );
  await expect(page.getByTestId('fact-backend')).toContainText(new URL(server.url).host);
  await expect(page.getByTestId('result')).toContainText('the server embeds');
  expectSameAdapter((await downloadZip(page))['adapter_model.safetensors']!, await expected);

  // The server did both halves: the embedding (description in) and the hypernetwork (task_emb in).
  const infers = server.stderr.filter((l) =>
    /"path":"\/v2\/models\/L\/infer","status":200/.test(l),
  );
  expect(infers).toHaveLength(2);
});
