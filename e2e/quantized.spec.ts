import { expect, test } from '@playwright/test';
import { compareVectors } from '../src/core/package/fidelity';
import type { Backend } from '../src/core/runtime/types';
import { conformanceExpected } from '../test/support/conformance';
import { parseSafetensorsIndependently } from '../test/support/independent-safetensors';

/**
 * 4-bit packages (MatMulNBits) converted and run in headless Chromium on WebGPU (SwiftShader here:
 * slow, so one small conformance model each) and on wasm: every written LoRA matrix within the
 * 4-bit floor (cosine ≥ 0.99) of the reference vectors, and the fidelity measured in the page too.
 */
for (const backend of ['webgpu', 'wasm'] satisfies Backend[]) {
  test(`q4 package of L-sft on ${backend}`, async ({ page }) => {
    await page.goto('/e2e/harness/index.html');
    await expect(page.locator('#status')).toHaveText('ready');
    const result = await page.evaluate(([b]) => window.t2lHarness.runQuantized('L-sft', b, 'q4'), [
      backend,
    ] as const);
    expect(result.backend).toBe(backend);
    expect(result.manifest.precision).toBe('q4');
    expect(result.safetensors).toHaveLength(3);
    let min = 1;
    for (const [row, bytes] of result.safetensors.entries()) {
      const { tensors } = parseSafetensorsIndependently(Uint8Array.from(bytes));
      const expected = conformanceExpected('L-sft', row);
      expect([...tensors.keys()].sort()).toEqual([...expected.keys()].sort());
      for (const [key, e] of expected) {
        const { cosine } = compareVectors(tensors.get(key)!.values, e.data);
        min = Math.min(min, cosine);
        expect(cosine, `${key} row ${row}`).toBeGreaterThanOrEqual(0.99);
      }
    }
    expect(min).toBeLessThan(1); // really quantized
    expect(result.fidelity.minCosine).toBeGreaterThanOrEqual(0.99);
    expect(result.fidelity.matrices).toBe(8 * 2 * 2 * 3);
  });
}
