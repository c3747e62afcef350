import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from '@playwright/test';
import { ROOT } from './app-support';
import {
  E2E_DIST,
  E2E_NEXT_DIST,
  E2E_PREBUILT,
  nextVersion as nextVersionOf,
  UPDATE_PORT,
} from './ports';
import { serveFolder, type StaticServer } from './static-server';

/**
 * Issue #14 item 15, "updates itself when a new version is deployed (tell the user)": the
 * production build (E2E_DIST, built by the preview project's web server) is deployed on a server
 * of this spec's own; after one visit a second build with another version is deployed in its place.
 * Opening the app again tells the user a new version has been deployed while the old one keeps
 * running; Reload switches to the new version.
 */

// Building the second version and installing two service workers (the precache holds the 41 MB
// of onnxruntime-web) take minutes on a shared, loaded machine.
test.setTimeout(600_000);

let server: StaticServer | undefined;
let next: string | undefined;

test.afterAll(async () => {
  await server?.close();
  if (next) await rm(next, { recursive: true, force: true });
});

test('a new deployment is announced, and Reload runs the new version', async ({ page }) => {
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const nextVersion = nextVersionOf(pkg.version);
  // The next deployment: the same sources built with another version stamp (vite.config.ts's
  // T2L_VERSION), so its scripts, HTML and service worker all differ from the first build's.
  // `npm test` builds it beside typecheck and lint (E2E_PREBUILT); a run of this spec alone here.
  let nextDir = join(ROOT, E2E_NEXT_DIST);
  if (!E2E_PREBUILT) {
    next = await mkdtemp(join(tmpdir(), 't2l-update-'));
    nextDir = next;
    await promisify(execFile)(
      'npx',
      ['vite', 'build', '--outDir', next, '--emptyOutDir', '--logLevel', 'error'],
      { cwd: ROOT, env: { ...process.env, T2L_E2E: '1', T2L_VERSION: nextVersion } },
    );
  }
  server = await serveFolder(join(ROOT, E2E_DIST), UPDATE_PORT);

  // The first visit installs the service worker, and the app says it now works offline.
  await page.goto(`${server.url}/`);
  await expect(page.getByTestId('notice-offline-ready')).toBeVisible({ timeout: 300_000 });
  const version = page.getByTestId('app-version');
  const first = (await version.textContent()) ?? '';
  expect(first).toMatch(/^t2l-web \S+$/);
  expect(first).not.toContain(nextVersion);

  // A later visit, served by the service worker.
  await page.reload();
  await expect(version).toHaveText(first);
  expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
  await expect(page.getByTestId('notice-update')).toHaveCount(0);

  // The new version is deployed; the user opens the app again and is told, while the version
  // they have keeps running until they choose to reload.
  server.deploy(nextDir);
  await page.reload();
  const notice = page.getByTestId('notice-update');
  await expect(notice).toContainText('A new version of this app has been deployed.', {
    timeout: 300_000,
  });
  await expect(version).toHaveText(first);

  await notice.getByRole('button', { name: 'Reload' }).click();
  await expect(version).toHaveText(`t2l-web ${nextVersion}`, { timeout: 120_000 });
  await expect(page.getByTestId('notice-update')).toHaveCount(0);
  expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
});
