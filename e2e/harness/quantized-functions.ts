import { adapterFiles } from '../../src/core/adapter/adapter-files';
import { readSafetensors } from '../../src/core/adapter/safetensors';
import { loadCheckpoint } from '../../src/core/checkpoint/load';
import { urlSource } from '../../src/core/files';
import { generateAdapters, type GeneratedAdapter } from '../../src/core/generate';
import { fidelityAdapters, measureFidelity } from '../../src/core/package/fidelity';
import type { Fidelity, Precision } from '../../src/core/package/manifest';
import { convertCheckpoint } from '../../src/core/package/model';
import type { Backend, InferenceRunner } from '../../src/core/runtime/types';
import { createWebRunner } from '../../src/runtime/web';

/**
 * The fp32 reference adapters for a checkpoint's fidelity on one backend, made once per page and
 * shared by the precisions measured there (the same graph on the same inputs each time; it was
 * converted and run again for each precision).
 */
const references = new Map<string, Promise<GeneratedAdapter[]>>();

/**
 * A conformance checkpoint converted in the page at a precision and run on one onnxruntime-web
 * backend: the written safetensors of each row, and the package's fidelity measured in the page
 * (its fp32 reference also run on that backend, once per checkpoint and backend in a page).
 */
async function runQuantized(name: string, backend: Backend, precision: Precision) {
  const source = urlSource(`/test/fixtures/conformance/${name}/`);
  const checkpoint = await loadCheckpoint(source);
  const model = convertCheckpoint(checkpoint, { precision });
  const createRunner = (graph: Uint8Array) => createWebRunner(graph, { backends: [backend] });
  const key = `${name} on ${backend}`;
  let reference = references.get(key);
  if (!reference) {
    const fp32 = convertCheckpoint(checkpoint, { precision: 'fp32' });
    reference = fidelityAdapters(fp32.manifest, fp32.graph, createRunner);
    references.set(key, reference);
    reference.catch(() => references.delete(key));
  }
  // Made (and its session dropped) before the package's own session: one session at a time.
  const fp32Adapters = await reference;
  const runner = await createWebRunner(model.graph, { backends: [backend] });
  let safetensors: number[][];
  let fidelity: Fidelity;
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
    // The fidelity run uses the package's session again (the same graph on the same backend,
    // where it made a second one), released once, below.
    const again: InferenceRunner = {
      backend: runner.backend,
      inputNames: runner.inputNames,
      outputNames: runner.outputNames,
      run: (feeds) => runner.run(feeds),
      release: async () => {},
    };
    fidelity = await measureFidelity(checkpoint, model, {
      createRunner: async (graph) => {
        if (graph !== model.graph) throw new Error('only the package graph runs here');
        return again;
      },
      reference: fp32Adapters,
    });
  } finally {
    await runner.release();
  }
  return { backend: runner.backend, manifest: model.manifest, safetensors, fidelity };
}

export const quantizedFunctions = { runQuantized };
