import { adapterFiles } from '../../src/core/adapter/adapter-files';
import { readSafetensors } from '../../src/core/adapter/safetensors';
import { loadCheckpoint } from '../../src/core/checkpoint/load';
import { urlSource } from '../../src/core/files';
import { generateAdapters } from '../../src/core/generate';
import { convertCheckpoint } from '../../src/core/package/model';
import type { Backend } from '../../src/core/runtime/types';
import { createWebRunner } from '../../src/runtime/web';

/**
 * The browser's whole path on a conformance folder: fetch the checkpoint, read the .pt, build the
 * graph, run it on the given onnxruntime-web backend and write each row's PEFT safetensors.
 */
async function runConformance(name: string, backend: Backend) {
  const source = urlSource(`/test/fixtures/conformance/${name}/`);
  const model = convertCheckpoint(await loadCheckpoint(source));
  const runner = await createWebRunner(model.graph, { backends: [backend] });
  try {
    const taskEmb = readSafetensors(await source.read('inputs.safetensors')).tensors.get(
      'task_emb',
    )!;
    const adapters = await generateAdapters(model.manifest, runner, {
      dims: taskEmb.shape,
      data: taskEmb.data,
    });
    return {
      backend: runner.backend,
      safetensors: adapters.map((a) => [
        ...adapterFiles(model.manifest, a, { backend: runner.backend })[
          'adapter_model.safetensors'
        ],
      ]),
    };
  } finally {
    await runner.release();
  }
}

export const conformanceFunctions = { runConformance };
