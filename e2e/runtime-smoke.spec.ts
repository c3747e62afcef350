import { expect, test, type Page } from '@playwright/test';
import type { Backend } from '../src/core/runtime/types';
import { createNodeRunner } from '../src/runtime/node';
import { toPlain, type PlainTensor } from './harness/runtime-functions';
import { buildSmokeModel, SMOKE_OUTPUTS, smokeFeeds } from './harness/smoke-graph';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

let reference: Record<string, PlainTensor>;

test.beforeAll(async () => {
  const runner = await createNodeRunner(buildSmokeModel());
  reference = toPlain(await runner.run(smokeFeeds()));
  await runner.release();
});

/** Opens the harness and records every request that leaves the machine. */
async function openHarness(page: Page): Promise<string[]> {
  const offOrigin: string[] = [];
  page.context().on('request', (req) => {
    const url = new URL(req.url());
    if (url.protocol === 'data:' || url.protocol === 'blob:') return;
    if (!LOCAL_HOSTS.has(url.hostname)) offOrigin.push(req.url());
  });
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning')
      console.log(`[page ${msg.type()}]`, msg.text());
  });
  await page.goto('/e2e/harness/index.html');
  await expect(page.locator('#status')).toHaveText('ready');
  return offOrigin;
}

function expectClose(actual: PlainTensor, expected: PlainTensor, name: string): void {
  expect(actual.dims, `${name} dims`).toEqual(expected.dims);
  const scale = Math.max(...expected.data.map(Math.abs));
  let maxDiff = 0;
  expected.data.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(v - actual.data[i]!))));
  expect(
    maxDiff / scale,
    `${name} max diff ${maxDiff} against max |value| ${scale}`,
  ).toBeLessThanOrEqual(1e-5);
}

test('page is cross-origin isolated and wasm runs threaded', async ({ page }) => {
  const offOrigin = await openHarness(page);
  const env = await page.evaluate(() => window.t2lHarness.env());
  expect(env.crossOriginIsolated).toBe(true);
  expect(env.ortConfig.numThreads).toBe(Math.min(env.hardwareConcurrency, 8));
  expect(new URL(env.ortConfig.wasmPaths).pathname).toBe('/ort/');
  expect(offOrigin).toEqual([]);
});

for (const backend of ['webgpu', 'wasm'] satisfies Backend[]) {
  test(`smoke graph on ${backend} matches onnxruntime-node`, async ({ page }) => {
    const offOrigin = await openHarness(page);
    if (backend === 'webgpu') {
      const gpu = await page.evaluate(() => window.t2lHarness.detectWebGpu());
      console.log('WebGPU adapter:', JSON.stringify(gpu));
      expect(gpu.available, gpu.reason).toBe(true);
    }
    const ortFiles: string[] = [];
    page.on('request', (req) => {
      const path = new URL(req.url()).pathname;
      if (path.startsWith('/ort/')) ortFiles.push(path.slice('/ort/'.length));
    });
    const result = await page.evaluate((b) => window.t2lHarness.runSmoke(b), backend);
    console.log(
      `${backend}: session ${result.createMs.toFixed(0)} ms, run ${result.runMs.toFixed(0)} ms`,
    );
    expect(result.backend).toBe(backend);
    if (backend === 'webgpu') expect(result.webgpuAdapter).not.toBeNull();
    expect(Object.keys(result.outputs).sort()).toEqual([...SMOKE_OUTPUTS].sort());
    for (const name of SMOKE_OUTPUTS) expectClose(result.outputs[name]!, reference[name]!, name);
    expect(offOrigin).toEqual([]);
    // Each backend on its own build (src/runtime/web.ts): WebGPU needs the Asyncify one, which
    // makes CPU work much slower, so wasm sessions use the plain build, with its thread workers.
    const build =
      backend === 'webgpu' ? 'ort-wasm-simd-threaded.asyncify' : 'ort-wasm-simd-threaded';
    expect(ortFiles).toContain(`${build}.wasm`);
    expect(ortFiles.filter((f) => f.endsWith('.wasm'))).toEqual([`${build}.wasm`]);
    if (backend === 'wasm') {
      const threads = page.workers().filter((w) => w.url().includes('ort-wasm-simd-threaded'));
      expect(threads.length, 'onnxruntime-web thread workers').toBeGreaterThan(0);
    }
  });
}
