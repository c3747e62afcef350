import { expect, test, type Page } from '@playwright/test';
import { cosine as cosineOf } from '../test/support/compare';
import type { Precision } from '../src/core/package/manifest';
import type { Backend } from '../src/core/runtime/types';
import { conformanceExpected } from '../test/support/conformance';
import { parseSafetensorsIndependently } from '../test/support/independent-safetensors';

/**
 * Quantized packages converted and run in headless Chromium on WebGPU (SwiftShader here: slow, so
 * one small conformance model each) and on wasm: 4-bit (MatMulNBits) and int8
 * (DynamicQuantizeMatMul, which WebGPU leaves to the CPU). Every written LoRA matrix within the
 * precision's floor (cosine ≥ 0.99 for 4-bit, ≥ 0.999 for int8) of the reference vectors, and the
 * fidelity measured in the page too.
 */
const CASES = [
  { precision: 'q4', backend: 'webgpu', floor: 0.99 },
  { precision: 'q4', backend: 'wasm', floor: 0.99 },
  { precision: 'int8', backend: 'wasm', floor: 0.999 },
  { precision: 'int8', backend: 'webgpu', floor: 0.999 },
] as const satisfies { precision: Precision; backend: Backend; floor: number }[];

// One harness page per backend (each page start loads onnxruntime-web's build for it again);
// serial: a failed case skips the backend's other one.
for (const onBackend of ['webgpu', 'wasm'] satisfies Backend[]) {
  test.describe.serial(`quantized on ${onBackend}`, () => {
    let page: Page;

    test.beforeAll(async ({ browser }) => {
      page = await (await browser.newContext()).newPage();
      await page.goto('/e2e/harness/index.html');
      await expect(page.locator('#status')).toHaveText('ready');
    });

    test.afterAll(async () => {
      await page.context().close();
    });

    for (const { precision, backend, floor } of CASES.filter((c) => c.backend === onBackend)) {
      test(`${precision} package of L-sft on ${backend}`, async () => {
        const result = await page.evaluate(
          ([b, p]) => window.t2lHarness.runQuantized('L-sft', b, p),
          [backend, precision] as const,
        );
        expect(result.backend).toBe(backend);
        expect(result.manifest.precision).toBe(precision);
        expect(result.safetensors).toHaveLength(3);
        let min = 1;
        for (const [row, bytes] of result.safetensors.entries()) {
          const { tensors } = parseSafetensorsIndependently(Uint8Array.from(bytes));
          const expected = conformanceExpected('L-sft', row);
          expect([...tensors.keys()].sort()).toEqual([...expected.keys()].sort());
          for (const [key, e] of expected) {
            const cosine = cosineOf(tensors.get(key)!.values, e.data);
            min = Math.min(min, cosine);
            expect(cosine, `${key} row ${row}`).toBeGreaterThanOrEqual(floor);
          }
        }
        expect(min).toBeLessThan(1); // really quantized
        expect(result.fidelity.minCosine).toBeGreaterThanOrEqual(floor);
        expect(result.fidelity.matrices).toBe(8 * 2 * 2 * 3);
      });
    }
  });
}
