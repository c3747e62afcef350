import { describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../src/core/checkpoint/load';
import { memorySource } from '../../src/core/files';
import { generateAdapters } from '../../src/core/generate';
import { convertCheckpoint } from '../../src/core/package/model';
import {
  makeRandomCheckpoint,
  type RandomCheckpointOptions,
} from '../../src/fixtures/random-checkpoint';
import { createNodeRunner } from '../../src/runtime/node';
import { relativeError } from '../support/conformance';
import { referenceForward } from '../support/reference-t2l';

/**
 * Nothing is tied to the fixtures' dimensions: random checkpoints of other sizes (odd layer count,
 * rank 4, three modules with in < out and in > out, an mlp module) go through the graph and are
 * compared with the independent per-layer re-statement of the reference, which the conformance
 * vectors check (test/conformance/reference-forward.test.ts).
 */
const SIZES: RandomCheckpointOptions = {
  taskEmbSize: 96,
  latentSize: 64,
  headInSize: 48,
  layers: 5,
  rank: 4,
  modules: [
    { name: 'q_proj', inFeatures: 40, outFeatures: 24 },
    { name: 'k_proj', inFeatures: 40, outFeatures: 8 },
    { name: 'gate_proj', inFeatures: 40, outFeatures: 56 },
  ],
  baseModel: 'fixture/other-base',
};

const VARIANTS: Record<string, RandomCheckpointOptions> = {
  L: {},
  M: { sharedABHead: true },
  'S rotary': { sharedABHead: true, autoregGen: true },
  'S learned': { sharedABHead: true, autoregGen: true, learnablePosEmb: true },
  'unshared rotary': { autoregGen: true },
  'unshared learned': { autoregGen: true, learnablePosEmb: true },
  'L recon': { trainingTask: 'recon', deltaWScaling: 400 },
  'M recon z-score factorized': {
    sharedABHead: true,
    trainingTask: 'recon',
    predZScore: true,
    factorized: true,
  },
  'L recon factorized': { trainingTask: 'recon', factorized: true },
  // recon without factorized divides by sqrt(delta_w_scaling): 400 makes the square root matter.
  'M recon': { sharedABHead: true, trainingTask: 'recon', deltaWScaling: 400 },
  'S recon': { sharedABHead: true, autoregGen: true, trainingTask: 'recon', deltaWScaling: 400 },
  'L recon z-score factorized': { trainingTask: 'recon', predZScore: true, factorized: true },
};

describe.each(Object.entries(VARIANTS))('other sizes: %s', (_name, flags) => {
  it('matches the independent reference for every layer and module', async () => {
    const files = makeRandomCheckpoint({ ...SIZES, ...flags, seed: 7 });
    const checkpoint = await loadCheckpoint(memorySource('random', { ...files }));
    expect(checkpoint.spec.layers).toBe(5);
    expect(checkpoint.spec.rank).toBe(4);
    const model = convertCheckpoint(checkpoint);
    const runner = await createNodeRunner(model.graph);
    try {
      const N = 2;
      const emb = new Float32Array(N * 96).map((_, i) => Math.sin(i * 0.37) * 3);
      const adapters = await generateAdapters(model.manifest, runner, { dims: [N, 96], data: emb });
      for (let n = 0; n < N; n++) {
        const ref = referenceForward(
          checkpoint.spec,
          checkpoint.weights,
          emb.subarray(n * 96, (n + 1) * 96),
        );
        for (const m of checkpoint.spec.modules) {
          const ours = adapters[n]!.modules[m.name]!;
          const sa = 4 * m.inFeatures;
          const sb = m.outFeatures * 4;
          for (let l = 0; l < 5; l++) {
            const refA = ref.modules[m.name]!.A[l]!;
            const refB = ref.modules[m.name]!.B[l]!;
            expect(
              relativeError(ours.loraA.subarray(l * sa, (l + 1) * sa), refA),
              `${m.name} A layer ${l}`,
            ).toBeLessThanOrEqual(1e-4);
            expect(
              relativeError(ours.loraB.subarray(l * sb, (l + 1) * sb), refB),
              `${m.name} B layer ${l}`,
            ).toBeLessThanOrEqual(1e-4);
          }
        }
      }
    } finally {
      await runner.release();
    }
  });
});

describe('default module order', () => {
  it("is adapter_config.json's order, unsorted, checked against an order stated here", async () => {
    // Not alphabetical: sorting target_modules would give k_proj, q_proj, v_proj.
    const ORDER = ['v_proj', 'q_proj', 'k_proj'];
    const dims: Record<string, [number, number]> = {
      v_proj: [40, 8],
      q_proj: [40, 24],
      k_proj: [40, 16],
    };
    const files = makeRandomCheckpoint({
      ...SIZES,
      modules: ORDER.map((name) => ({
        name,
        inFeatures: dims[name]![0],
        outFeatures: dims[name]![1],
      })),
      sharedABHead: true,
      seed: 13,
    });
    expect(JSON.parse(files['adapter_config.json'] as string).target_modules).toEqual(ORDER);
    const checkpoint = await loadCheckpoint(memorySource('unsorted', { ...files }));
    const model = convertCheckpoint(checkpoint);
    expect(model.manifest.moduleOrder).toEqual(ORDER);
    // The reference with module i = ORDER[i] (type-embedding row i), built from this test's
    // list, not from the spec the code under test produced.
    const spec = {
      ...checkpoint.spec,
      modules: ORDER.map((name) => ({
        name,
        inFeatures: dims[name]![0],
        outFeatures: dims[name]![1],
        headOut: 0,
        headBias: false,
      })),
    };
    const runner = await createNodeRunner(model.graph);
    try {
      const emb = new Float32Array(96).map((_, i) => Math.cos(i * 0.29) * 2);
      const [adapter] = await generateAdapters(model.manifest, runner, {
        dims: [1, 96],
        data: emb,
      });
      const ref = referenceForward(spec, checkpoint.weights, emb);
      for (const name of ORDER) {
        const [inF, outF] = dims[name]!;
        const ours = adapter!.modules[name]!;
        for (let l = 0; l < 5; l++) {
          const sa = 4 * inF;
          const sb = outF * 4;
          expect(
            relativeError(ours.loraA.subarray(l * sa, (l + 1) * sa), ref.modules[name]!.A[l]!),
            `${name} A layer ${l}`,
          ).toBeLessThanOrEqual(1e-4);
          expect(
            relativeError(ours.loraB.subarray(l * sb, (l + 1) * sb), ref.modules[name]!.B[l]!),
            `${name} B layer ${l}`,
          ).toBeLessThanOrEqual(1e-4);
        }
      }
    } finally {
      await runner.release();
    }
  });
});
