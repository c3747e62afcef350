import { expect, test } from '@playwright/test';
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
 * The remote backend: the hypernetwork runs on `t2l serve` (Open Inference Protocol v2), the text
 * encoder in the page; the adapter is the same as the CLI's.
 */

let server: ServeProcess;

test.beforeAll(async ({ baseURL }) => {
  server = await spawnServe([join(DEMO, 'packages'), '--cors-origin', new URL(baseURL!).origin]);
});

test.afterAll(async () => {
  await server?.stop();
});

test('Remote: `t2l serve` runs the hypernetwork and the adapter equals the CLI’s', async ({
  page,
}) => {
  const description = 'Write SQL queries from questions about a database.';
  const expected = cliAdapter(join(DEMO, 'packages', 'L'), description);
  await openApp(page);

  // The endpoint is a setting kept in this browser.
  await page.getByRole('button', { name: 'Settings' }).click();
  await page.getByLabel('URL of an Open Inference Protocol server').fill(server.url);
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
  await expect(page.getByTestId('fact-backend')).toContainText(new URL(server.url).host);
  expectSameAdapter((await downloadZip(page))['adapter_model.safetensors']!, await expected);
});
