import { TASK_EMB_INPUT } from '../onnx/t2l-graph';
import type { FloatTensor, InferenceRunner } from './types';

/**
 * The runner, with every row of its task_emb [N, E] run alone and the outputs joined again along
 * the first axis. For graphs whose rows share a quantization scale (rowsShareQuantization): an
 * adapter then depends only on its own embedding, whatever else is in the batch, both where
 * generateAdapters batches descriptions and where the server merges requests.
 */
export function eachRowRunner(runner: InferenceRunner): InferenceRunner {
  return {
    get backend() {
      return runner.backend;
    },
    get inputNames() {
      return runner.inputNames;
    },
    get outputNames() {
      return runner.outputNames;
    },
    async run(feeds) {
      const emb = feeds[TASK_EMB_INPUT]!;
      const n = emb.dims[0]!;
      if (n === 1) return runner.run(feeds);
      const width = emb.data.length / n;
      const parts: Record<string, FloatTensor>[] = [];
      for (let i = 0; i < n; i++) {
        const data = emb.data.subarray(i * width, (i + 1) * width);
        parts.push(await runner.run({ ...feeds, [TASK_EMB_INPUT]: { dims: [1, width], data } }));
      }
      const joined: Record<string, FloatTensor> = {};
      for (const [name, first] of Object.entries(parts[0]!)) {
        const data = new Float32Array(first.data.length * n);
        parts.forEach((part, i) => data.set(part[name]!.data, i * first.data.length));
        joined[name] = { dims: [n, ...first.dims.slice(1)], data };
      }
      return joined;
    },
    release: () => runner.release(),
  };
}
