import { adapterFiles } from '../../src/core/adapter/adapter-files';
import { readSafetensors } from '../../src/core/adapter/safetensors';
import { loadCheckpoint } from '../../src/core/checkpoint/load';
import { urlSource } from '../../src/core/files';
import { generateAdapters } from '../../src/core/generate';
import { measureFidelity } from '../../src/core/package/fidelity';
import type { Precision } from '../../src/core/package/manifest';
import { convertCheckpoint } from '../../src/core/package/model';
import type { Backend } from '../../src/core/runtime/types';
import { createWebRunner } from '../../src/runtime/web';

/**
 * A conformance checkpoint converted in the page at a precision and run on one onnxruntime-web
 * backend: the written safetensors of each row, and the package's fidelity measured in the page
 * (its fp32 reference also run on that backend).
 */
async function runQuantized(name: string, backend: Backend, precision: Precision) {
  const source = urlSource(`/test/fixtures/conformance/${name}/`);
  const checkpoint = await loadCheckpoint(source);
  const model = convertCheckpoint(checkpoint, { precision });
  const runner = await createWebRunner(model.graph, { backends: [backend] });
  let safetensors: number[][];
  try {
    const taskEmb = readSafetensors(await source.read('inputs.safetensors')).tensors.get(
      'task_emb',
    )!;
    const adapters = await generateAdapters(model.manifest, runner, {
      dims: taskEmb.shape,
      data: taskEmb.data,
    });
    safetensors = adapters.map((a) => [
      ...adapterFiles(model.manifest, a, { backend: runner.backend })['adapter_model.safetensors'],
    ]);
  } finally {
    await runner.release();
  }
  const createRunner = (graph: Uint8Array) => createWebRunner(graph, { backends: [backend] });
  const fidelity = await measureFidelity(checkpoint, model, { createRunner });
  return { backend: runner.backend, manifest: model.manifest, safetensors, fidelity };
}

export const quantizedFunctions = { runQuantized };
