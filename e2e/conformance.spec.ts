import { expect, test, type Page } from '@playwright/test';
import type { Backend } from '../src/core/runtime/types';
import { conformanceExpected, relativeError } from '../test/support/conformance';
import { parseSafetensorsIndependently } from '../test/support/independent-safetensors';

/**
 * The reference vectors through onnxruntime-web in real headless Chromium, on WebGPU (SwiftShader
 * here) and on wasm: checkpoint reading, graph building and the adapter writer all run in the page.
 */
// One harness page per backend for its three models: each page start loads onnxruntime-web's
// build for that backend again. A failed model skips the backend's others (serial).
for (const backend of ['webgpu', 'wasm'] satisfies Backend[]) {
  test.describe.serial(`conformance on ${backend}`, () => {
    let page: Page;

    test.beforeAll(async ({ browser }) => {
      page = await (await browser.newContext()).newPage();
      await page.goto('/e2e/harness/index.html');
      await expect(page.locator('#status')).toHaveText('ready');
    });

    test.afterAll(async () => {
      await page.context().close();
    });

    for (const name of ['L-sft', 'M-sft', 'S-sft']) {
      test(`conformance ${name} on ${backend}`, async () => {
        const result = await page.evaluate(([n, b]) => window.t2lHarness.runConformance(n, b), [
          name,
          backend,
        ] as const);
        expect(result.backend).toBe(backend);
        expect(result.safetensors).toHaveLength(3);
        for (const [row, bytes] of result.safetensors.entries()) {
          const { tensors } = parseSafetensorsIndependently(Uint8Array.from(bytes));
          const expected = conformanceExpected(name, row);
          expect([...tensors.keys()].sort()).toEqual([...expected.keys()].sort());
          for (const [key, e] of expected) {
            expect(tensors.get(key)!.shape, key).toEqual(e.shape);
            expect(
              relativeError(tensors.get(key)!.values, e.data),
              `${key} row ${row}`,
            ).toBeLessThanOrEqual(1e-4);
          }
        }
      });
    }
  });
}
