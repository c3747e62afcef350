import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { T2LError } from '../../../src/core/errors';
import { readTorchStateDict } from '../../../src/core/checkpoint/torch-file';
import { makeRandomCheckpoint } from '../../../src/fixtures/random-checkpoint';

const CONFORMANCE = join(__dirname, '../../fixtures/conformance');

interface Variant {
  training_task: 'sft' | 'recon';
  shared_AB_head: boolean;
  autoreg_gen: boolean;
  learnable_pos_emb: boolean;
  pred_z_score: boolean;
  factorized: boolean;
  params: number;
  state_dict_keys: number;
}

const index = JSON.parse(readFileSync(join(CONFORMANCE, 'index.json'), 'utf8')) as {
  n_layers: number;
  rank: number;
  task_emb_size: number;
  features: Record<string, { in_features: number; out_features: number }>;
  variants: Record<string, Variant>;
};

function optionsFor(v: Variant) {
  return {
    taskEmbSize: index.task_emb_size,
    latentSize: 128,
    headInSize: 512,
    layers: index.n_layers,
    rank: index.rank,
    modules: Object.entries(index.features).map(([name, f]) => ({
      name,
      inFeatures: f.in_features,
      outFeatures: f.out_features,
    })),
    sharedABHead: v.shared_AB_head,
    autoregGen: v.autoreg_gen,
    learnablePosEmb: v.learnable_pos_emb,
    trainingTask: v.training_task,
    predZScore: v.pred_z_score,
    factorized: v.factorized,
    seed: 7,
  };
}

describe('makeRandomCheckpoint', () => {
  for (const [name, v] of Object.entries(index.variants)) {
    it(`${name}: same keys, order, shapes and parameter count as the conformance checkpoint`, () => {
      const made = makeRandomCheckpoint(optionsFor(v));
      const ours = readTorchStateDict(made['hypermod.pt'], `random ${name}`);
      const theirs = readTorchStateDict(
        new Uint8Array(readFileSync(join(CONFORMANCE, name, 'hypermod.pt'))),
        `${name}/hypermod.pt`,
      );
      const shapes = (sd: typeof ours) => [...sd].map(([k, t]) => `${k} ${t.shape.join('x')}`);
      expect(shapes(ours)).toEqual(shapes(theirs));
      expect(ours.size).toBe(v.state_dict_keys);
      expect([...ours.values()].reduce((a, t) => a + t.data.length, 0)).toBe(v.params);

      const fixtureText = (f: string) => readFileSync(join(CONFORMANCE, name, f), 'utf8');
      expect(made['args.yaml']).toBe(fixtureText('args.yaml'));
      expect(JSON.parse(made['adapter_config.json'])).toEqual(
        JSON.parse(fixtureText('adapter_config.json')),
      );
    });
  }

  it('is deterministic per seed and has sane values', () => {
    const a = makeRandomCheckpoint({ seed: 1, sharedABHead: true });
    const b = makeRandomCheckpoint({ seed: 1, sharedABHead: true });
    const c = makeRandomCheckpoint({ seed: 2, sharedABHead: true });
    // compared by hand: toEqual on megabytes of typed arrays is very slow
    const same = (x: ArrayLike<number>, y: ArrayLike<number>) =>
      x.length === y.length && Array.prototype.every.call(x, (v: number, i: number) => v === y[i]);
    expect(same(a['hypermod.pt'], b['hypermod.pt'])).toBe(true);
    const sa = readTorchStateDict(a['hypermod.pt']);
    const sc = readTorchStateDict(c['hypermod.pt']);
    expect(same(sa.get('mixer.1.weight')!.data, sc.get('mixer.1.weight')!.data)).toBe(false);
    for (const [k, t] of sa) {
      expect(t.data.every(Number.isFinite), k).toBe(true);
      expect(
        t.data.some((x) => x !== 0),
        k,
      ).toBe(true);
    }
    const ln = sa.get('mlp2.mlp.0.weight')!.data;
    expect(Math.min(...ln)).toBeGreaterThan(0.85);
    expect(Math.max(...ln)).toBeLessThan(1.15);
    expect(Math.min(...sa.get('std_recon_target.B.v_proj')!.data)).toBeGreaterThan(0);
    // weights scale like 1/sqrt(fan_in): the standard deviation of mixer.1 (fan-in 128) ≈ 1/sqrt(128)
    const w = sa.get('mixer.1.weight')!.data;
    const std = Math.sqrt(w.reduce((s, x) => s + x * x, 0) / w.length);
    expect(std).toBeCloseTo(1 / Math.sqrt(128), 2);
  });

  it('sizes heads for other shapes, e.g. a real base model', () => {
    const modules = [
      { name: 'q_proj', inFeatures: 96, outFeatures: 64 },
      { name: 'v_proj', inFeatures: 96, outFeatures: 32 },
      { name: 'down_proj', inFeatures: 128, outFeatures: 96 },
    ];
    const sd = readTorchStateDict(
      makeRandomCheckpoint({
        layers: 5,
        rank: 4,
        latentSize: 64,
        headInSize: 32,
        taskEmbSize: 48,
        modules,
      })['hypermod.pt'],
    );
    expect(sd.get('heads.q_proj.weight')!.shape).toEqual([4 * (96 + 64), 32]);
    expect(sd.get('heads.down_proj.bias')!.shape).toEqual([4 * (128 + 96)]);
    expect(sd.get('layer_type_encoder.0.weight')!.shape).toEqual([3, 16]);
    expect(sd.get('layer_depth_encoder.0.weight')!.shape).toEqual([5, 16]);
    expect(sd.get('task_encoder.mlp.0.weight')!.shape).toEqual([32, 48]);
    expect(sd.get('AB_offset.B.down_proj')!.shape).toEqual([5, 96, 4]);
    const s = readTorchStateDict(
      makeRandomCheckpoint({ modules, sharedABHead: true, autoregGen: true, headBias: false })[
        'hypermod.pt'
      ],
    );
    expect(s.get('heads.down_proj.weight')!.shape).toEqual([128, 512]);
    expect(s.has('heads.down_proj.bias')).toBe(false);
  });

  it('refuses impossible options', () => {
    expect(() => makeRandomCheckpoint({ learnablePosEmb: true })).toThrow(T2LError);
    expect(() => makeRandomCheckpoint({ latentSize: 130 })).toThrow(/multiple of 4/);
    expect(() => makeRandomCheckpoint({ rank: 0 })).toThrow(/rank must be a positive integer/);
  });

  it('writes args.yaml that a YAML reader reads back', () => {
    const args = parse(
      makeRandomCheckpoint({ trainingTask: 'recon', baseModel: 'x/y' })['args.yaml'],
    );
    expect(args).toMatchObject({
      training_task: 'recon',
      model_dir: 'x/y',
      target_modules: ['q_proj', 'v_proj'],
    });
  });
});
