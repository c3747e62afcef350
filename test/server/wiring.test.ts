/**
 * The server's wiring, below HTTP: how loadServedModel sets up an int8 package written before
 * per-row activation scales (its rows shared one scale, so they must run one at a time), packages
 * without int8 heads (merged runs), `--backend cuda` (the CPU as its fallback), and the batcher at
 * exactly its row limit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { loadCheckpoint } from '../../src/core/checkpoint/load';
import { rowsShareQuantization } from '../../src/core/package/manifest';
import { convertCheckpoint, packageFiles } from '../../src/core/package/model';
import type { FloatTensor, InferenceRunner } from '../../src/core/runtime/types';
import { dirSource, writeFolder } from '../../src/node/fs-source';
import { ModelBatcher } from '../../src/server/batcher';
import { loadServedModel, type ServedModel } from '../../src/server/models';
import { CONFORMANCE_DIR } from '../support/conformance';

/** The backends loadServedModel asks onnxruntime-node for, in order (the real runner is used). */
const asked = vi.hoisted(() => [] as (readonly string[] | undefined)[]);
vi.mock('../../src/runtime/node', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/runtime/node')>();
  return {
    ...real,
    createNodeRunner: (...args: Parameters<typeof real.createNodeRunner>) => {
      asked.push(args[1]?.backends);
      return real.createNodeRunner(...args);
    },
  };
});

const tmp = mkdtempSync(join(tmpdir(), 't2l-wiring-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Loads the folder as `t2l serve` does and records the rows of every onnxruntime run. */
async function served(
  dir: string,
  backend: 'cpu' | 'cuda' = 'cpu',
): Promise<{ m: ServedModel; runs: number[] }> {
  const m: ServedModel = { name: 'm', dir, state: 'LOADING', acceptsDescription: false };
  await loadServedModel(m, { backend, maxBatchRows: 16 });
  expect(m.state, m.reason).toBe('READY');
  const runs: number[] = [];
  const session = m.runner!;
  const run = session.run.bind(session);
  // The batcher holds this same object (or a row-by-row wrapper around it): spy on its method.
  session.run = (feeds) => {
    runs.push(feeds['task_emb']!.dims[0]!);
    return run(feeds);
  };
  return { m, runs };
}

describe('loadServedModel with int8 packages', () => {
  it('runs an old-format package row by row and a current one in one run, same numbers', async () => {
    const ckpt = await loadCheckpoint(dirSource(join(CONFORMANCE_DIR, 'S-sft')));
    const model = convertCheckpoint(ckpt, { precision: 'int8' });
    const E = model.manifest.taskEmbSize;
    const current = join(tmp, 'current');
    await writeFolder(current, packageFiles(model));
    // Packages written before 'per-row' activations have no int8Activations in t2l.json.
    const manifest = structuredClone(model.manifest);
    delete manifest.weights!.int8Activations;
    expect(rowsShareQuantization(manifest)).toBe(true);
    const old = join(tmp, 'old');
    await writeFolder(old, packageFiles({ ...model, manifest }));

    const emb: FloatTensor = {
      dims: [3, E],
      data: new Float32Array(3 * E).map((_, i) => Math.sin(i * 0.37) * (1 + 30 * (i % 3))),
    };
    const a = await served(old);
    const b = await served(current);
    try {
      const rowByRow = await a.m.batcher!.run(emb);
      expect(a.runs).toEqual([1, 1, 1]);
      const together = await b.m.batcher!.run(emb);
      expect(b.runs).toEqual([3]);
      // The current graph quantizes each row on its own: either way, the same numbers.
      for (const name of Object.keys(together)) {
        expect(rowByRow[name]!.dims).toEqual(together[name]!.dims);
        expect(rowByRow[name]!.data).toEqual(together[name]!.data);
      }
    } finally {
      await a.m.runner!.release();
      await b.m.runner!.release();
    }
  });
});

describe('loadServedModel with packages without int8 heads, and --backend cuda', () => {
  it('runs fp32 and q4 packages in one run: only int8 rows can share a scale', async () => {
    const ckpt = await loadCheckpoint(dirSource(join(CONFORMANCE_DIR, 'S-sft')));
    for (const precision of ['fp32', 'q4'] as const) {
      const model = convertCheckpoint(ckpt, { precision });
      expect(rowsShareQuantization(model.manifest)).toBe(false);
      const dir = join(tmp, precision);
      await writeFolder(dir, packageFiles(model));
      const emb: FloatTensor = {
        dims: [3, model.manifest.taskEmbSize],
        data: new Float32Array(3 * model.manifest.taskEmbSize).fill(0.25),
      };
      const { m, runs } = await served(dir);
      try {
        await m.batcher!.run(emb);
        expect(runs, precision).toEqual([3]);
      } finally {
        await m.runner!.release();
      }
    }
  });

  it('asks onnxruntime-node for CUDA, then the CPU: the CPU is its fallback', async () => {
    const ckpt = await loadCheckpoint(dirSource(join(CONFORMANCE_DIR, 'S-sft')));
    const dir = join(tmp, 'cuda');
    await writeFolder(dir, packageFiles(convertCheckpoint(ckpt, { precision: 'fp32' })));
    asked.length = 0;
    // READY also where the CUDA provider is not installed (npm skips it here): the CPU ran it.
    const { m } = await served(dir, 'cuda');
    try {
      expect(asked).toEqual([['cuda', 'cpu']]);
      expect(['cuda', 'cpu']).toContain(m.runner!.backend);
    } finally {
      await m.runner!.release();
    }
  });
});

describe('ModelBatcher at its row limit', () => {
  it('merges requests up to exactly maxRows rows, and each gets its own rows back', async () => {
    const seen: number[][] = [];
    let release!: () => void;
    const first = new Promise<void>((r) => (release = r));
    // Out = 10·in + 1 per element: each row's output is known without the batcher.
    const runner: InferenceRunner = {
      backend: 'cpu',
      inputNames: ['task_emb'],
      outputNames: ['y'],
      run: async (feeds) => {
        const t = feeds['task_emb']!;
        seen.push([...t.data]);
        if (seen.length === 1) await first;
        return { y: { dims: t.dims, data: t.data.map((v) => 10 * v + 1) } };
      },
      release: async () => {},
    };
    const batcher = new ModelBatcher(runner, 4);
    const req = (...values: number[]): FloatTensor => ({
      dims: [values.length, 1],
      data: Float32Array.from(values),
    });
    const a = batcher.run(req(1)); // runs at once and holds the session
    const b = batcher.run(req(2, 3));
    const c = batcher.run(req(4, 5)); // b + c: exactly 4 rows, one run
    const d = batcher.run(req(6)); // a fifth row: the next run
    release();
    const [ra, rb, rc, rd] = await Promise.all([a, b, c, d]);
    expect(batcher.runSizes).toEqual([1, 4, 1]);
    expect(seen).toEqual([[1], [2, 3, 4, 5], [6]]);
    expect([...ra.y!.data]).toEqual([11]);
    expect(rb.y!.dims).toEqual([2, 1]);
    expect([...rb.y!.data]).toEqual([21, 31]);
    expect([...rc.y!.data]).toEqual([41, 51]);
    expect([...rd.y!.data]).toEqual([61]);
  });
});
