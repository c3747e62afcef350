import { expect, test } from '@playwright/test';
import type { Backend } from '../src/core/runtime/types';
import { conformanceExpected, relativeError } from '../test/support/conformance';
import { parseSafetensorsIndependently } from '../test/support/independent-safetensors';

/**
 * The reference vectors through onnxruntime-web in real headless Chromium, on WebGPU (SwiftShader
 * here) and on wasm: checkpoint reading, graph building and the adapter writer all run in the page.
 */
for (const backend of ['webgpu', 'wasm'] satisfies Backend[]) {
  for (const name of ['L-sft', 'M-sft', 'S-sft']) {
    test(`conformance ${name} on ${backend}`, async ({ page }) => {
      await page.goto('/e2e/harness/index.html');
      await expect(page.locator('#status')).toHaveText('ready');
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
}
