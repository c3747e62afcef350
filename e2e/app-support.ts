/**
 * Helpers for the app's end-to-end specs: open the page while recording any request that leaves
 * the origin, drive a generation, unzip the downloaded adapter, and produce the CLI's adapter for
 * the same description and model to compare against.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, type Page } from '@playwright/test';
import { unzipSync } from 'fflate';
import { relativeError } from '../test/support/conformance';
import {
  parseSafetensorsIndependently,
  type ParsedTensor,
} from '../test/support/independent-safetensors';

export const ROOT = join(import.meta.dirname, '..');
export const DEMO = join(ROOT, 'models', 'demo');

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export interface OpenedApp {
  /** Every request to another origin, for the "nothing leaves the origin" check. */
  offOrigin: string[];
}

export async function openApp(page: Page): Promise<OpenedApp> {
  const offOrigin: string[] = [];
  page.context().on('request', (req) => {
    const url = new URL(req.url());
    if (url.protocol === 'data:' || url.protocol === 'blob:') return;
    if (!LOCAL_HOSTS.has(url.hostname)) offOrigin.push(req.url());
  });
  page.on('console', (msg) => {
    if (msg.type() === 'error') console.log('[page error]', msg.text());
  });
  page.on('pageerror', (e) => console.log('[page exception]', e.message));
  await page.goto('/');
  await waitUntilReady(page);
  return { offOrigin };
}

/** How long a start-up or generation stage may take on a loaded machine (a timeout, not a check). */
export const STAGE_TIMEOUT = 150_000;

/** The catalog is listed and the worker has reported what the browser can run. */
export async function waitUntilReady(page: Page): Promise<void> {
  await expect(page.getByTestId('model-demo-L')).toBeVisible({ timeout: STAGE_TIMEOUT });
  await expect(page.getByTestId('backend-status')).not.toContainText('Checking', {
    timeout: STAGE_TIMEOUT,
  });
}

export async function chooseModel(page: Page, id: string): Promise<void> {
  await page.getByTestId(`model-${id}`).click();
  await expect(page.getByTestId(`model-${id}`).locator('input')).toBeChecked();
}

export async function chooseBackend(page: Page, label: 'Auto' | 'WebGPU' | 'wasm'): Promise<void> {
  await page.getByRole('radiogroup', { name: 'Backend' }).getByText(label, { exact: true }).click();
}

/** Clicks Generate and waits for the result card (failing with the page's error if one shows). */
export async function generateAndWait(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Generate adapter' }).click();
  const outcome = page.getByTestId('result').or(page.getByTestId('error'));
  await expect(outcome).toBeVisible({ timeout: STAGE_TIMEOUT });
  if (await page.getByTestId('error').isVisible()) {
    throw new Error(`the page shows an error: ${await page.getByTestId('error').innerText()}`);
  }
}

/**
 * Opens the app (openApp), picks the catalog entry `model` on `backend`, types `description` and
 * generates (generateAndWait): the result card shows when it returns.
 */
export async function openAndGenerate(
  page: Page,
  model: string,
  backend: 'Auto' | 'WebGPU' | 'wasm',
  description: string,
): Promise<OpenedApp> {
  const app = await openApp(page);
  await chooseModel(page, model);
  await chooseBackend(page, backend);
  await page.locator('#description').fill(description);
  await generateAndWait(page);
  return app;
}

/** Clicks "Download PEFT .zip" and returns the files inside the zip by name. */
export async function downloadZip(page: Page): Promise<Record<string, Uint8Array>> {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('download-zip').click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^t2l-[a-z0-9-]+\.zip$/);
  return unzipByName(new Uint8Array(await readFile(await download.path())));
}

/** The files in a zip by their name without folders (folders themselves left out). */
export function unzipByName(bytes: Uint8Array): Record<string, Uint8Array> {
  const files: Record<string, Uint8Array> = {};
  for (const [name, data] of Object.entries(unzipSync(bytes))) {
    if (!name.endsWith('/')) files[name.split('/').pop()!] = data;
  }
  return files;
}

const run = promisify(execFile);

/**
 * Runs `bin/t2l.mjs <args>` with this Node from the repository root (stdout up to 16 MiB) and
 * returns what it printed on stdout and stderr; rejects, with the exit code and both streams, when it
 * fails.
 * `env` is added to this process's environment.
 */
export async function runT2l(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ stdout: string; stderr: string }> {
  const { stdout, stderr } = await run(process.execPath, [join(ROOT, 'bin', 't2l.mjs'), ...args], {
    cwd: ROOT,
    maxBuffer: 16 << 20,
    env: { ...process.env, ...env },
  });
  return { stdout, stderr };
}

const cliCache = new Map<string, Promise<Map<string, ParsedTensor>>>();

/** The adapter `npx t2l generate` writes for this description and model folder (run once each). */
export function cliAdapter(
  modelDir: string,
  description: string,
): Promise<Map<string, ParsedTensor>> {
  const key = `${modelDir}\n${description}`;
  let result = cliCache.get(key);
  if (!result) {
    result = (async () => {
      const out = await mkdtemp(join(tmpdir(), 't2l-e2e-cli-'));
      try {
        await runT2l([
          'generate',
          modelDir,
          '--description',
          description,
          '--encoder',
          join(DEMO, 'encoder'),
          '-o',
          out,
        ]);
        const bytes = new Uint8Array(await readFile(join(out, '0', 'adapter_model.safetensors')));
        return parseSafetensorsIndependently(bytes).tensors;
      } finally {
        await rm(out, { recursive: true, force: true });
      }
    })();
    cliCache.set(key, result);
  }
  return result;
}

/** Same keys, same shapes, values within 1e-4 relative (to the tensor's largest magnitude). */
export function expectSameAdapter(
  safetensors: Uint8Array,
  expected: Map<string, ParsedTensor>,
): void {
  const { tensors } = parseSafetensorsIndependently(safetensors);
  expect([...tensors.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [key, e] of expected) {
    const t = tensors.get(key)!;
    expect(t.shape, `${key} shape`).toEqual(e.shape);
    expect(relativeError(t.values, e.values), `${key} values`).toBeLessThanOrEqual(1e-4);
  }
}
