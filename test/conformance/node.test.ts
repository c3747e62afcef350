import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adapterFiles } from '../../src/core/adapter/adapter-files';
import { readSafetensors } from '../../src/core/adapter/safetensors';
import { loadCheckpoint } from '../../src/core/checkpoint/load';
import { generateAdapters } from '../../src/core/generate';
import { ENCODED_TASK_EMB_OUTPUT, TASK_EMB_INPUT } from '../../src/core/onnx/t2l-graph';
import { convertCheckpoint } from '../../src/core/package/model';
import type { InferenceRunner } from '../../src/core/runtime/types';
import { dirSource } from '../../src/node/fs-source';
import { createNodeRunner } from '../../src/runtime/node';
import { buildT2LGraph } from '../../src/core/onnx/t2l-graph';
import {
  CONFORMANCE_CASES,
  CONFORMANCE_DIR,
  conformanceExpected,
  conformanceInputs,
  relativeError,
} from '../support/conformance';

const TOLERANCE = 1e-4;

describe.each(CONFORMANCE_CASES)('conformance %s (onnxruntime-node)', (name) => {
  const dir = join(CONFORMANCE_DIR, name);
  let runner: InferenceRunner;
  let model: ReturnType<typeof convertCheckpoint>;

  beforeAll(async () => {
    const checkpoint = await loadCheckpoint(dirSource(dir));
    model = convertCheckpoint(checkpoint);
    runner = await createNodeRunner(model.graph);
  });
  afterAll(async () => runner?.release());

  it.each([0, 1, 2])('row %i: the written adapter equals the reference', async (row) => {
    const { taskEmb } = conformanceInputs(name);
    const E = taskEmb.shape[1]!;
    const emb = { dims: [E], data: taskEmb.data.subarray(row * E, (row + 1) * E) };
    const [adapter] = await generateAdapters(model.manifest, runner, emb);
    const files = adapterFiles(model.manifest, adapter!);
    const ours = readSafetensors(files['adapter_model.safetensors']).tensors;
    const expected = conformanceExpected(name, row);

    expect([...ours.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [key, e] of expected) {
      const o = ours.get(key)!;
      expect(o.shape, key).toEqual(e.shape);
      expect(relativeError(o.data, e.data), key).toBeLessThanOrEqual(TOLERANCE);
    }
  });

  it('a batch of all rows gives the same adapters as one row at a time', async () => {
    const { taskEmb } = conformanceInputs(name);
    const batch = await generateAdapters(model.manifest, runner, {
      dims: taskEmb.shape,
      data: taskEmb.data,
    });
    expect(batch).toHaveLength(3);
    for (const [row, adapter] of batch.entries()) {
      const expected = conformanceExpected(name, row);
      for (const [mod, { loraA, loraB, layers, rank, inFeatures, outFeatures }] of Object.entries(
        adapter.modules,
      )) {
        for (let l = 0; l < layers; l++) {
          const a = expected.get(
            `base_model.model.model.layers.${l}.self_attn.${mod}.lora_A.weight`,
          )!;
          const b = expected.get(
            `base_model.model.model.layers.${l}.self_attn.${mod}.lora_B.weight`,
          )!;
          const sa = rank * inFeatures;
          const sb = outFeatures * rank;
          expect(relativeError(loraA.subarray(l * sa, (l + 1) * sa), a.data)).toBeLessThanOrEqual(
            TOLERANCE,
          );
          expect(relativeError(loraB.subarray(l * sb, (l + 1) * sb), b.data)).toBeLessThanOrEqual(
            TOLERANCE,
          );
        }
      }
    }
  });

  it('the task encoder output equals encoded_task_emb', async () => {
    const checkpoint = await loadCheckpoint(dirSource(dir));
    const graph = buildT2LGraph(checkpoint.spec, checkpoint.weights, { encodedOutput: true });
    const debug = await createNodeRunner(graph);
    try {
      const { taskEmb, encoded } = conformanceInputs(name);
      const out = await debug.run({
        [TASK_EMB_INPUT]: { dims: taskEmb.shape, data: taskEmb.data },
      });
      const ours = out[ENCODED_TASK_EMB_OUTPUT]!;
      expect(ours.dims).toEqual(encoded.shape);
      expect(relativeError(ours.data, encoded.data)).toBeLessThanOrEqual(TOLERANCE);
    } finally {
      await debug.release();
    }
  });
});
