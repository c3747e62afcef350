/** Dynamic batching (src/server/batcher.ts) with graphs whose rows share a quantization scale. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../src/core/checkpoint/load';
import { rowsShareQuantization } from '../../src/core/package/manifest';
import { convertCheckpoint } from '../../src/core/package/model';
import { eachRowRunner } from '../../src/core/runtime/each-row';
import type { FloatTensor, InferenceRunner } from '../../src/core/runtime/types';
import { dirSource } from '../../src/node/fs-source';
import { createNodeRunner } from '../../src/runtime/node';
import { ModelBatcher } from '../../src/server/batcher';
import { CONFORMANCE_DIR } from '../support/conformance';

const E = 1024;
const rows = (n: number, seed: number): FloatTensor => ({
  dims: [n, E],
  // Rows of very different scales, so a shared activation scale would show.
  data: new Float32Array(n * E).map((_, i) => Math.sin(i * 0.37 + seed) * (1 + 30 * (i % 3))),
});

describe('ModelBatcher', () => {
  it('runs an int8 graph one row at a time: each request gets what it would get alone', async () => {
    const ckpt = await loadCheckpoint(dirSource(join(CONFORMANCE_DIR, 'L-sft')));
    const model = convertCheckpoint(ckpt, { precision: 'int8' });
    expect(rowsShareQuantization(model.manifest)).toBe(true);
    const runner = await createNodeRunner(model.graph);
    try {
      const requests = [rows(1, 0), rows(2, 1), rows(1, 2)];
      const alone = async (t: FloatTensor, i: number) =>
        runner.run({ task_emb: { dims: [1, E], data: t.data.slice(i * E, (i + 1) * E) } });

      // As loadServedModel sets it up for such graphs; the spy sees what onnxruntime runs.
      const sessionRuns: number[] = [];
      const spy: InferenceRunner = {
        backend: runner.backend,
        inputNames: runner.inputNames,
        outputNames: runner.outputNames,
        run: (feeds) => {
          sessionRuns.push(feeds['task_emb']!.dims[0]!);
          return runner.run(feeds);
        },
        release: () => runner.release(),
      };
      const rowByRow = new ModelBatcher(eachRowRunner(spy), 16);
      const results = await Promise.all(requests.map((r) => rowByRow.run(r)));
      expect(sessionRuns).toEqual([1, 1, 1, 1]);
      for (const [k, r] of requests.entries()) {
        for (let i = 0; i < r.dims[0]!; i++) {
          const want = await alone(r, i);
          for (const [name, t] of Object.entries(want)) {
            const got = results[k]![name]!;
            expect(got.dims).toEqual([r.dims[0], ...t.dims.slice(1)]);
            expect(got.data.subarray(i * t.data.length, (i + 1) * t.data.length)).toEqual(t.data);
          }
        }
      }

      // Merged, as the batcher does for float graphs, the rows would change each other.
      const merged = new ModelBatcher(runner, 16);
      const together = await Promise.all(requests.map((r) => merged.run(r)));
      expect(merged.runSizes.length).toBeLessThan(4);
      const want = await alone(requests[1]!, 0);
      const name = 'q_proj.lora_B';
      const size = want[name]!.data.length;
      expect(together[1]![name]!.data.subarray(0, size)).not.toEqual(want[name]!.data);
    } finally {
      await runner.release();
    }
  });
});
