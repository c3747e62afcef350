import type { Backend, FloatTensor } from '../../src/core/runtime/types';
import { createWebRunner, detectWebGpu, ortWebGpuAdapterInfo } from '../../src/runtime/web';
import { buildSmokeModel, smokeFeeds } from './smoke-graph';

/** Typed arrays become plain arrays so results cross page.evaluate unchanged. */
export interface PlainTensor {
  dims: number[];
  data: number[];
}

export function toPlain(outputs: Record<string, FloatTensor>): Record<string, PlainTensor> {
  const out: Record<string, PlainTensor> = {};
  for (const [name, t] of Object.entries(outputs)) out[name] = { dims: t.dims, data: [...t.data] };
  return out;
}

async function runSmoke(backend: Backend) {
  const t0 = performance.now();
  const runner = await createWebRunner(buildSmokeModel(), { backends: [backend] });
  const t1 = performance.now();
  try {
    const outputs = await runner.run(smokeFeeds());
    const t2 = performance.now();
    return {
      backend: runner.backend,
      webgpuAdapter: runner.backend === 'webgpu' ? await ortWebGpuAdapterInfo() : null,
      outputs: toPlain(outputs),
      createMs: t1 - t0,
      runMs: t2 - t1,
    };
  } finally {
    await runner.release();
  }
}

export const runtimeFunctions = { detectWebGpu, runSmoke };
