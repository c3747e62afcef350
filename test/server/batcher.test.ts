/** Dynamic batching (src/server/batcher.ts) with int8 graphs, whose products quantize their input. */
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
  it('merges int8 requests, or runs them one row at a time: each gets what it would get alone', async () => {
    const ckpt = await loadCheckpoint(dirSource(join(CONFORMANCE_DIR, 'L-sft')));
    const model = convertCheckpoint(ckpt, { precision: 'int8' });
    // Each row has its own quantization scale: merged requests stay independent.
    expect(rowsShareQuantization(model.manifest)).toBe(false);
    const runner = await createNodeRunner(model.graph);
    try {
      const requests = [rows(1, 0), rows(2, 1), rows(1, 2)];
      const alone = async (t: FloatTensor, i: number) =>
        runner.run({ task_emb: { dims: [1, E], data: t.data.slice(i * E, (i + 1) * E) } });

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
      const check = async (results: Record<string, FloatTensor>[]) => {
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
      };
      // As loadServedModel sets it up for int8 packages written before per-row scales (their
      // rows shared one): the spy sees what onnxruntime runs.
      const rowByRow = new ModelBatcher(eachRowRunner(spy), 16);
      await check(await Promise.all(requests.map((r) => rowByRow.run(r))));
      expect(sessionRuns).toEqual([1, 1, 1, 1]);

      // And as it sets it up for current ones: merged into fewer runs, the same numbers.
      sessionRuns.length = 0;
      const merged = new ModelBatcher(spy, 16);
      await check(await Promise.all(requests.map((r) => merged.run(r))));
      expect(sessionRuns.length).toBeLessThan(4);
      expect(sessionRuns.reduce((a, b) => a + b, 0)).toBe(4);
    } finally {
      await runner.release();
    }
  });
});
