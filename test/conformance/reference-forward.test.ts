import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../src/core/checkpoint/load';
import { dirSource } from '../../src/node/fs-source';
import {
  CONFORMANCE_CASES,
  CONFORMANCE_DIR,
  conformanceExpected,
  conformanceInputs,
  relativeError,
} from '../support/conformance';
import { referenceForward } from '../support/reference-t2l';

// The test-side re-statement of the reference must itself match the vectors before it can judge
// the graph on other sizes.
describe.each(CONFORMANCE_CASES)('the test reference forward on %s', (name) => {
  it('reproduces the conformance vectors', async () => {
    const ckpt = await loadCheckpoint(dirSource(join(CONFORMANCE_DIR, name)));
    const { taskEmb, encoded } = conformanceInputs(name);
    for (const row of [0, 2]) {
      const ref = referenceForward(
        ckpt.spec,
        ckpt.weights,
        taskEmb.data.subarray(row * 1024, (row + 1) * 1024),
      );
      expect(
        relativeError(ref.encoded, encoded.data.subarray(row * 64, (row + 1) * 64)),
      ).toBeLessThanOrEqual(1e-4);
      const expected = conformanceExpected(name, row);
      for (const m of ckpt.spec.modules) {
        for (let l = 0; l < ckpt.spec.layers; l++) {
          const key = (x: string) =>
            `base_model.model.model.layers.${l}.self_attn.${m.name}.lora_${x}.weight`;
          expect(
            relativeError(ref.modules[m.name]!.A[l]!, expected.get(key('A'))!.data),
          ).toBeLessThanOrEqual(1e-4);
          expect(
            relativeError(ref.modules[m.name]!.B[l]!, expected.get(key('B'))!.data),
          ).toBeLessThanOrEqual(1e-4);
        }
      }
    }
  });
});
