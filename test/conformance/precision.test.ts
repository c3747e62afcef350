import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { adapterFiles } from '../../src/core/adapter/adapter-files';
import { readSafetensors } from '../../src/core/adapter/safetensors';
import { loadCheckpoint, type Checkpoint } from '../../src/core/checkpoint/load';
import { memorySource } from '../../src/core/files';
import { generateAdapters } from '../../src/core/generate';
import { convertWithFidelity } from '../../src/core/package/fidelity';
import {
  parseManifest,
  rowsShareQuantization,
  type Precision,
} from '../../src/core/package/manifest';
import { convertCheckpoint, packageFiles, readPackage } from '../../src/core/package/model';
import { makeRandomCheckpoint } from '../../src/fixtures/random-checkpoint';
import { dirSource } from '../../src/node/fs-source';
import { createNodeRunner } from '../../src/runtime/node';
import { cosine, maxRelError } from '../support/compare';
import {
  CONFORMANCE_CASES,
  CONFORMANCE_DIR,
  conformanceExpected,
  conformanceInputs,
} from '../support/conformance';

/**
 * Every precision against the reference vectors: each LoRA matrix the package writes, compared
 * with the reference implementation's by cosine similarity (the conformance README's floors: int8
 * ≥ 0.999, 4-bit ≥ 0.99; float16 storage must stay within float16 rounding of the exact result).
 * Quantized numbers are never compared for equality.
 */
const FLOORS: Record<Exclude<Precision, 'fp32'>, { cosine: number; relError: number }> = {
  fp16: { cosine: 0.99999, relError: 5e-3 },
  int8: { cosine: 0.999, relError: 0.1 },
  q4: { cosine: 0.99, relError: 0.35 },
};

describe.each(CONFORMANCE_CASES)('precisions on conformance %s', (name) => {
  const dir = join(CONFORMANCE_DIR, name);

  it.each(Object.keys(FLOORS) as (keyof typeof FLOORS)[])(
    '%s: every written matrix is within the floor of the reference, and t2l.json says so',
    async (precision) => {
      const checkpoint = await loadCheckpoint(dirSource(dir));
      const model = await convertWithFidelity(checkpoint, {
        precision,
        createRunner: createNodeRunner,
      });
      const floor = FLOORS[precision];
      const { manifest } = model;
      expect(manifest.precision).toBe(precision);
      expect(manifest.fidelity!.minCosine).toBeGreaterThanOrEqual(floor.cosine);
      expect(manifest.fidelity!.maxRelError).toBeLessThanOrEqual(floor.relError);
      expect(manifest.fidelity!.matrices).toBe(8 * 2 * 2 * 3); // 8 embeddings, 2 modules, A/B, 3 layers
      // The heads carry the precision; at these sizes every other matrix stays float32 (int8, q4).
      const heads = ['heads.q_proj.weight', 'heads.v_proj.weight'];
      expect(manifest.weights!.stored[precision]).toEqual(expect.arrayContaining(heads));
      if (precision !== 'fp16') expect(manifest.weights!.stored[precision]).toEqual(heads);

      const runner = await createNodeRunner(model.graph);
      try {
        const { taskEmb } = conformanceInputs(name);
        const adapters = await generateAdapters(manifest, runner, {
          dims: taskEmb.shape,
          data: taskEmb.data,
        });
        let minCos = 1;
        for (const [row, adapter] of adapters.entries()) {
          const ours = readSafetensors(
            adapterFiles(manifest, adapter)['adapter_model.safetensors'],
          ).tensors;
          for (const [key, e] of conformanceExpected(name, row)) {
            const o = ours.get(key)!;
            expect(o.shape, key).toEqual(e.shape);
            // Judged by the test's own comparers, not fidelity.ts's.
            const cos = cosine(o.data, e.data);
            minCos = Math.min(minCos, cos);
            expect(cos, `${precision} ${key} row ${row}`).toBeGreaterThanOrEqual(floor.cosine);
            expect(
              maxRelError(o.data, e.data),
              `${precision} ${key} row ${row}`,
            ).toBeLessThanOrEqual(floor.relError);
          }
        }
        expect(minCos).toBeLessThan(1); // really quantized
      } finally {
        await runner.release();
      }
    },
  );
});

describe('quantized packages', () => {
  let checkpoint: Checkpoint;
  const emb = (n: number, E: number) => ({
    dims: [n, E],
    data: new Float32Array(n * E).map((_, i) => Math.sin(i * 0.37) * 3),
  });

  it('q4 and int8 split weights over the initializer limit with the same results', async () => {
    checkpoint = await loadCheckpoint(dirSource(join(CONFORMANCE_DIR, 'L-sft')));
    for (const precision of ['q4', 'int8', 'fp16'] as const) {
      const whole = convertCheckpoint(checkpoint, { precision });
      const split = convertCheckpoint(checkpoint, { precision, maxInitializerBytes: 20_000 });
      expect(split.graph.byteLength).toBeGreaterThan(whole.graph.byteLength); // more nodes
      const [a, b] = await Promise.all([whole, split].map((m) => createNodeRunner(m.graph)));
      const input = emb(2, 1024);
      const ra = await generateAdapters(whole.manifest, a!, input);
      const rb = await generateAdapters(split.manifest, b!, input);
      for (const [n, adapter] of rb.entries()) {
        for (const [name, m] of Object.entries(adapter.modules)) {
          const ref = ra[n]!.modules[name]!;
          expect(maxRelError(m.loraA, ref.loraA), `${precision} ${name} A`).toBeLessThan(1e-5);
          expect(maxRelError(m.loraB, ref.loraB), `${precision} ${name} B`).toBeLessThan(1e-5);
        }
      }
      await Promise.all([a!.release(), b!.release()]);
    }
  });

  it('an int8 adapter depends only on its own embedding, and a batch runs in one pass', async () => {
    checkpoint ??= await loadCheckpoint(dirSource(join(CONFORMANCE_DIR, 'L-sft')));
    expect(
      rowsShareQuantization(convertCheckpoint(checkpoint, { precision: 'fp16' }).manifest),
    ).toBe(false);
    // L-sft (int8 heads) and a Z = 512 checkpoint (int8 MLP layers too, on inputs of rank 4).
    const z512 = await loadCheckpoint(
      memorySource('z512', {
        ...makeRandomCheckpoint({
          taskEmbSize: 1024,
          latentSize: 512,
          headInSize: 96,
          layers: 2,
          rank: 2,
          modules: [
            { name: 'q_proj', inFeatures: 40, outFeatures: 24 },
            { name: 'v_proj', inFeatures: 40, outFeatures: 8 },
          ],
          seed: 5,
        }),
      }),
    );
    for (const ckpt of [checkpoint, z512]) {
      const model = convertCheckpoint(ckpt, { precision: 'int8' });
      expect(model.manifest.weights!.int8Activations).toBe('per-row');
      expect(rowsShareQuantization(model.manifest)).toBe(false);
      const runner = await createNodeRunner(model.graph);
      try {
        // A batch whose rows differ in scale: the second is 40× the first, the third all zero.
        const batch = emb(3, 1024);
        for (let i = 1024; i < 2048; i++) batch.data[i]! *= 40;
        batch.data.fill(0, 2048);
        const runs: number[] = [];
        const spy = {
          ...runner,
          run: (f: Parameters<typeof runner.run>[0]) => {
            runs.push(f['task_emb']!.dims[0]!);
            return runner.run(f);
          },
        };
        const together = await generateAdapters(model.manifest, spy, batch);
        expect(runs).toEqual([3]);
        // Each row is quantized with its own scale (DynamicQuantizeMatMul's one scale per tensor
        // is pinned): alone, every row gives the same numbers, bit for bit.
        for (let i = 0; i < 3; i++) {
          const row = { dims: [1, 1024], data: batch.data.slice(i * 1024, (i + 1) * 1024) };
          const [alone] = await generateAdapters(model.manifest, runner, row);
          for (const m of model.manifest.modules) {
            expect(together[i]!.modules[m.name]!.loraA).toEqual(alone!.modules[m.name]!.loraA);
            expect(together[i]!.modules[m.name]!.loraB).toEqual(alone!.modules[m.name]!.loraB);
          }
        }
      } finally {
        await runner.release();
      }
    }
    // int8 packages written before 'per-row' activations still run one row at a time (their
    // graph is not built any more: the current one stands in, with the older manifest).
    const model = convertCheckpoint(checkpoint, { precision: 'int8' });
    const old = structuredClone(model.manifest);
    delete old.weights!.int8Activations;
    expect(rowsShareQuantization(old)).toBe(true);
    const runner = await createNodeRunner(model.graph);
    try {
      const runs: number[] = [];
      const spy = {
        ...runner,
        run: (f: Parameters<typeof runner.run>[0]) => {
          runs.push(f['task_emb']!.dims[0]!);
          return runner.run(f);
        },
      };
      const batch = emb(3, 1024);
      const rowByRow = await generateAdapters(old, spy, batch);
      expect(runs).toEqual([1, 1, 1]);
      const together = await generateAdapters(model.manifest, runner, batch);
      // Per-row quantization: row by row or together, the same numbers, bit for bit.
      for (let i = 0; i < 3; i++) {
        for (const m of model.manifest.modules) {
          expect(together[i]!.modules[m.name]!.loraA).toEqual(rowByRow[i]!.modules[m.name]!.loraA);
          expect(together[i]!.modules[m.name]!.loraB).toEqual(rowByRow[i]!.modules[m.name]!.loraB);
        }
      }
    } finally {
      await runner.release();
    }
  });

  it('at Z = 512 the wide MLP layers are stored as int8 too, within the floors', async () => {
    // Small L, rank and modules keep this fast; Z = 512 makes the 4Z layers 2^20 weights.
    const files = makeRandomCheckpoint({
      taskEmbSize: 64,
      latentSize: 512,
      headInSize: 96,
      layers: 2,
      rank: 2,
      modules: [{ name: 'q_proj', inFeatures: 40, outFeatures: 24 }],
      seed: 3,
    });
    const ckpt = await loadCheckpoint(memorySource('z512', { ...files }));
    for (const precision of ['int8', 'q4'] as const) {
      const model = await convertWithFidelity(ckpt, { precision, createRunner: createNodeRunner });
      const stored = model.manifest.weights!.stored;
      expect(stored.int8).toEqual(
        expect.arrayContaining(['mixer.4.weight', 'mlp1.mlp.1.weight', 'mlp3.1.weight']),
      );
      expect(stored.fp32).toEqual(
        expect.arrayContaining(['task_encoder.mlp.0.weight', 'mlp3.4.weight']),
      );
      expect(model.manifest.fidelity!.minCosine).toBeGreaterThanOrEqual(FLOORS[precision].cosine);
    }
  });

  it('other sizes and variants (K not a multiple of the block) stay within the q4 floor', async () => {
    for (const flags of [{}, { sharedABHead: true }, { sharedABHead: true, autoregGen: true }]) {
      const files = makeRandomCheckpoint({
        taskEmbSize: 96,
        latentSize: 64,
        headInSize: 48, // two q4 blocks of 32, the second padded
        layers: 5,
        rank: 4,
        modules: [
          { name: 'q_proj', inFeatures: 40, outFeatures: 24 },
          { name: 'gate_proj', inFeatures: 40, outFeatures: 56 },
        ],
        seed: 11,
        ...flags,
      });
      const ckpt = await loadCheckpoint(memorySource('other', { ...files }));
      const model = await convertWithFidelity(ckpt, {
        precision: 'q4',
        createRunner: createNodeRunner,
      });
      expect(model.manifest.fidelity!.minCosine).toBeGreaterThanOrEqual(0.99);
    }
  });

  it('a package keeps its precision and fidelity through t2l.json', async () => {
    const ckpt = await loadCheckpoint(dirSource(join(CONFORMANCE_DIR, 'M-sft')));
    const model = await convertWithFidelity(ckpt, {
      precision: 'q4',
      blockSize: 64,
      createRunner: createNodeRunner,
    });
    const back = await readPackage(memorySource('pkg', packageFiles(model)));
    expect(back.manifest).toEqual(model.manifest);
    expect(back.manifest.weights!.blockSize).toBe(64);
    const fp32 = convertCheckpoint(ckpt);
    expect(fp32.manifest.fidelity).toMatchObject({ minCosine: 1, maxRelError: 0 });
    expect(() => parseManifest(JSON.stringify({ ...model.manifest, precision: 'q3' }))).toThrow(
      /precision.*"q3"/,
    );
    const old = { ...model.manifest } as Record<string, unknown>;
    delete old['precision'];
    expect(parseManifest(JSON.stringify(old)).precision).toBe('fp32');
  });

  it('refuses a q4 block size MatMulNBits does not support', () => {
    expect(() => convertCheckpoint(checkpoint, { precision: 'q4', blockSize: 48 })).toThrow(
      /block size 48/,
    );
  });
});
