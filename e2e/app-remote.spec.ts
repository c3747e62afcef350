import { expect, test } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import {
  chooseModel,
  cliAdapter,
  DEMO,
  downloadZip,
  expectSameAdapter,
  generateAndWait,
  openApp,
  ROOT,
} from './app-support';

/**
 * The remote backend: the hypernetwork runs on `t2l serve` (Open Inference Protocol v2), the text
 * encoder in the page; the adapter is the same as the CLI's.
 */

let server: ChildProcess;
let endpoint: string;

test.beforeAll(async ({ baseURL }) => {
  server = spawn(
    process.execPath,
    [
      join(ROOT, 'bin', 't2l.mjs'),
      'serve',
      join(DEMO, 'packages'),
      '--port',
      '0',
      '--cors-origin',
      new URL(baseURL!).origin,
    ],
    { cwd: ROOT, stdio: ['ignore', 'inherit', 'pipe'] },
  );
  endpoint = await new Promise<string>((resolve, reject) => {
    let out = '';
    // The server logs JSON lines to stderr; the first says where it listens.
    server.stderr!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const url = /"msg":"listening","url":"([^"]+)"/.exec(out)?.[1];
      if (url) resolve(url);
    });
    server.on('exit', (code) => reject(new Error(`t2l serve exited with ${code}: ${out}`)));
  });
});

test.afterAll(() => {
  server?.kill('SIGTERM');
});

test('Remote: `t2l serve` runs the hypernetwork and the adapter equals the CLI’s', async ({
  page,
}) => {
  const description = 'Write SQL queries from questions about a database.';
  const expected = cliAdapter(join(DEMO, 'packages', 'L'), description);
  await openApp(page);

  // The endpoint is a setting kept in this browser.
  await page.getByRole('button', { name: 'Settings' }).click();
  await page.getByLabel('URL of an Open Inference Protocol server').fill(endpoint);
  await page.keyboard.press('Escape');

  await chooseModel(page, 'demo-L');
  await page
    .getByRole('radiogroup', { name: 'Backend' })
    .getByText('Remote', { exact: true })
    .click();
  await expect(page.getByTestId('backend-reason')).toContainText('remote');
  await page.locator('#description').fill(description);
  await generateAndWait(page);

  await expect(page.getByTestId('fact-backend').locator('[data-backend]')).toHaveAttribute(
    'data-backend',
    'remote',
  );
  await expect(page.getByTestId('fact-backend')).toContainText(new URL(endpoint).host);
  expectSameAdapter((await downloadZip(page))['adapter_model.safetensors']!, await expected);
});
