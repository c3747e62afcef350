import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../../src/core/checkpoint/load';
import { memorySource } from '../../../src/core/files';
import { generateAdapters } from '../../../src/core/generate';
import { buildT2LGraph } from '../../../src/core/onnx/t2l-graph';
import { convertCheckpoint, openModel, packageFiles } from '../../../src/core/package/model';
import { dirSource } from '../../../src/node/fs-source';
import { createNodeRunner } from '../../../src/runtime/node';
import {
  CONFORMANCE_DIR,
  conformanceExpected,
  conformanceInputs,
  relativeError,
} from '../../support/conformance';

const { onnx } = onnxProto;

function initializerSizes(graph: Uint8Array): number[] {
  const model = onnx.ModelProto.decode(graph);
  return model.graph!.initializer!.map((t) => t.rawData!.length);
}

async function adaptersFor(graph: Uint8Array, manifest: Parameters<typeof generateAdapters>[0]) {
  const runner = await createNodeRunner(graph);
  try {
    const { taskEmb } = conformanceInputs('L-sft');
    return await generateAdapters(manifest, runner, { dims: taskEmb.shape, data: taskEmb.data });
  } finally {
    await runner.release();
  }
}

describe('the ONNX graph', () => {
  it('splits weights over the initializer limit into column blocks with the same results', async () => {
    const ckpt = await loadCheckpoint(dirSource(join(CONFORMANCE_DIR, 'L-sft')));
    const model = convertCheckpoint(ckpt);
    // The L-sft head is [704, 512] float32 (1.4 MB); 64 KiB forces many blocks.
    const limit = 64 * 1024;
    const blocked = buildT2LGraph(ckpt.spec, ckpt.weights, { maxInitializerBytes: limit });
    expect(Math.max(...initializerSizes(model.graph))).toBeGreaterThan(limit);
    expect(Math.max(...initializerSizes(blocked))).toBeLessThanOrEqual(limit);

    const whole = await adaptersFor(model.graph, model.manifest);
    const split = await adaptersFor(blocked, model.manifest);
    for (const [i, a] of whole.entries()) {
      for (const [m, t] of Object.entries(a.modules)) {
        expect(relativeError(split[i]!.modules[m]!.loraA, t.loraA)).toBeLessThan(1e-6);
        expect(relativeError(split[i]!.modules[m]!.loraB, t.loraB)).toBeLessThan(1e-6);
      }
    }
  });

  it('keeps every initializer of the default build within 128 MiB', async () => {
    const ckpt = await loadCheckpoint(dirSource(join(CONFORMANCE_DIR, 'M-sft')));
    expect(Math.max(...initializerSizes(convertCheckpoint(ckpt).graph))).toBeLessThanOrEqual(
      128 * 2 ** 20,
    );
  });

  it('a swapped module order changes the adapters (the type embedding rows follow the order)', async () => {
    const dir = dirSource(join(CONFORMANCE_DIR, 'L-sft'));
    const swapped = convertCheckpoint(
      await loadCheckpoint(dir, { moduleOrder: ['v_proj', 'q_proj'] }),
    );
    expect(swapped.manifest.moduleOrder).toEqual(['v_proj', 'q_proj']);
    const [a] = await adaptersFor(swapped.graph, swapped.manifest);
    const expected = conformanceExpected('L-sft', 0).get(
      'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight',
    )!;
    expect(
      relativeError(a!.modules['q_proj']!.loraA.subarray(0, expected.data.length), expected.data),
    ).toBeGreaterThan(1e-2);
  });
});

describe('packages', () => {
  it('a written package reads back and generates the reference adapters', async () => {
    const ckpt = await loadCheckpoint(dirSource(join(CONFORMANCE_DIR, 'S-sft')));
    const files = packageFiles(convertCheckpoint(ckpt));
    const pkg = await openModel(memorySource('pkg', files));
    expect(pkg.manifest.variant).toBe('S');
    expect(pkg.manifest.moduleOrder).toEqual(['q_proj', 'v_proj']);
    expect(pkg.manifest.precision).toBe('fp32');
    const runner = await createNodeRunner(pkg.graph);
    try {
      const { taskEmb } = conformanceInputs('S-sft');
      const [a] = await generateAdapters(pkg.manifest, runner, {
        dims: [1024],
        data: taskEmb.data.subarray(0, 1024),
      });
      const e = conformanceExpected('S-sft', 0).get(
        'base_model.model.model.layers.2.self_attn.v_proj.lora_B.weight',
      )!;
      const B = a!.modules['v_proj']!.loraB;
      expect(relativeError(B.subarray(2 * 16 * 8, 3 * 16 * 8), e.data)).toBeLessThanOrEqual(1e-4);
    } finally {
      await runner.release();
    }
  });

  it('refuses a module order other than the one a package was converted with', async () => {
    const ckpt = await loadCheckpoint(dirSource(join(CONFORMANCE_DIR, 'L-sft')));
    const files = packageFiles(convertCheckpoint(ckpt));
    await expect(
      openModel(memorySource('pkg', files), { moduleOrder: ['v_proj', 'q_proj'] }),
    ).rejects.toThrow(/converted with module order q_proj,v_proj/);
  });

  it('names what is wrong with a broken manifest', async () => {
    await expect(
      openModel(memorySource('pkg', { 't2l.json': '{"format": "other"}' })),
    ).rejects.toThrow(/pkg\/t2l\.json: format: expected "t2l-package", found "other"/);
    await expect(openModel(memorySource('empty', {}))).rejects.toThrow(
      /neither a converted package/,
    );
  });

  it('refuses task embeddings of the wrong size or with NaN', async () => {
    const ckpt = await loadCheckpoint(dirSource(join(CONFORMANCE_DIR, 'L-sft')));
    const model = convertCheckpoint(ckpt);
    const runner = await createNodeRunner(model.graph);
    try {
      await expect(
        generateAdapters(model.manifest, runner, { dims: [2, 512], data: new Float32Array(1024) }),
      ).rejects.toThrow('expected shape [1024] or [N, 1024], found [2, 512]');
      const nan = new Float32Array(1024);
      nan[3] = NaN;
      await expect(
        generateAdapters(model.manifest, runner, { dims: [1024], data: nan }),
      ).rejects.toThrow('value 3 is NaN');
    } finally {
      await runner.release();
    }
  });
});
