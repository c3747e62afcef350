import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { T2LError } from '../../../src/core/errors';
import { peftLoraConfig } from '../../../src/core/adapter/lora-config';
import { adapterKey, buildPeftAdapter, type ModuleLora } from '../../../src/core/adapter/peft';
import { readSafetensors } from '../../../src/core/adapter/safetensors';

const FIXTURE = join(import.meta.dirname, '../../fixtures/conformance/L-sft');
const CONFIG = JSON.parse(readFileSync(join(FIXTURE, 'adapter_config.json'), 'utf8')) as Record<
  string,
  unknown
>;

/** Values that encode their own position, so a mis-sliced layer shows. */
function module(base: number, layers: number, rank: number, inF: number, outF: number): ModuleLora {
  const fill = (n: number, off: number) =>
    Float32Array.from({ length: n }, (_, i) => base + off + i);
  return {
    loraA: fill(layers * rank * inF, 0),
    loraB: fill(layers * outF * rank, 0.5),
    layers,
    rank,
    inFeatures: inF,
    outFeatures: outF,
  };
}

const qv = () => ({ q_proj: module(0, 3, 8, 48, 40), v_proj: module(10000, 3, 8, 48, 16) });

const BASE = 'mistralai/Mistral-7B-Instruct-v0.2';

/** The normalized config of the fixture's checkpoint for these modules (their first rank). */
function configFor(modules: Record<string, ModuleLora>) {
  const rank = Object.values(modules)[0]!.rank;
  const targets = Object.keys(modules);
  return peftLoraConfig({
    adapterConfig: { ...CONFIG, r: rank, target_modules: targets },
    rank,
    moduleOrder: targets,
    baseModel: BASE,
  });
}

function build(overrides: Partial<Parameters<typeof buildPeftAdapter>[0]> = {}) {
  const modules = overrides.modules ?? qv();
  const moduleOrder = overrides.moduleOrder ?? ['q_proj', 'v_proj'];
  return buildPeftAdapter({
    modules,
    loraConfig: configFor(modules),
    moduleOrder,
    ...overrides,
  });
}

function errorOf(fn: () => unknown): T2LError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(T2LError);
    return e as T2LError;
  }
  throw new Error('expected an error');
}

describe('adapterKey', () => {
  it('puts attention projections under self_attn and MLP projections under mlp', () => {
    expect(adapterKey(2, 'q_proj', 'A')).toBe(
      'base_model.model.model.layers.2.self_attn.q_proj.lora_A.weight',
    );
    expect(adapterKey(0, 'gate_proj', 'B')).toBe(
      'base_model.model.model.layers.0.mlp.gate_proj.lora_B.weight',
    );
    expect(adapterKey(1, 'down_proj', 'A')).toContain('.layers.1.mlp.down_proj.');
  });
});

describe('buildPeftAdapter', () => {
  it('writes every layer and module, layer-major, A before B, with the right shapes', () => {
    const { tensors } = readSafetensors(build()['adapter_model.safetensors']);
    const keys = [...tensors.keys()];
    expect(keys).toEqual(
      [0, 1, 2].flatMap((l) =>
        ['q_proj', 'v_proj'].flatMap((m) => [adapterKey(l, m, 'A'), adapterKey(l, m, 'B')]),
      ),
    );
    for (const l of [0, 1, 2]) {
      expect(tensors.get(adapterKey(l, 'q_proj', 'A'))!.shape).toEqual([8, 48]);
      expect(tensors.get(adapterKey(l, 'q_proj', 'B'))!.shape).toEqual([40, 8]);
      expect(tensors.get(adapterKey(l, 'v_proj', 'A'))!.shape).toEqual([8, 48]);
      expect(tensors.get(adapterKey(l, 'v_proj', 'B'))!.shape).toEqual([16, 8]);
    }
    // Layer 1 of v_proj's B starts after layer 0's 16 x 8 values.
    const vB1 = tensors.get(adapterKey(1, 'v_proj', 'B'))!.data;
    expect([vB1[0], vB1[127]]).toEqual([10000.5 + 128, 10000.5 + 255]);
    const qA2 = tensors.get(adapterKey(2, 'q_proj', 'A'))!.data;
    expect(qA2[0]).toBe(2 * 8 * 48);
  });

  it('has the key set and shapes of the reference adapters', () => {
    const ref = readSafetensors(readFileSync(join(FIXTURE, 'expected-0.safetensors'))).tensors;
    const ours = readSafetensors(build()['adapter_model.safetensors']).tensors;
    expect([...ours.keys()].sort()).toEqual([...ref.keys()].sort());
    for (const [k, t] of ref) expect(ours.get(k)!.shape).toEqual(t.shape);
  });

  it('reproduces a reference adapter bit for bit from its stacked matrices', () => {
    const ref = readSafetensors(readFileSync(join(FIXTURE, 'expected-1.safetensors'))).tensors;
    const stack = (m: string, ab: 'A' | 'B') => {
      const parts = [0, 1, 2].map((l) => ref.get(adapterKey(l, m, ab))!.data);
      const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
      parts.forEach((p, l) => out.set(p, l * p.length));
      return out;
    };
    const modules = {
      q_proj: {
        ...module(0, 3, 8, 48, 40),
        loraA: stack('q_proj', 'A'),
        loraB: stack('q_proj', 'B'),
      },
      v_proj: {
        ...module(0, 3, 8, 48, 16),
        loraA: stack('v_proj', 'A'),
        loraB: stack('v_proj', 'B'),
      },
    };
    const ours = readSafetensors(build({ modules })['adapter_model.safetensors']).tensors;
    for (const [k, t] of ref) expect(ours.get(k)!.data).toEqual(t.data);
  });

  it('puts gate_proj under mlp.', () => {
    const modules = { q_proj: module(0, 2, 4, 8, 8), gate_proj: module(0, 2, 4, 8, 16) };
    const out = build({ modules, moduleOrder: ['q_proj', 'gate_proj'] });
    const { tensors } = readSafetensors(out['adapter_model.safetensors']);
    expect(
      tensors.get('base_model.model.model.layers.1.mlp.gate_proj.lora_B.weight')!.shape,
    ).toEqual([16, 4]);
    expect([...tensors.keys()].filter((k) => k.includes('self_attn.gate_proj'))).toEqual([]);
  });

  it('writes the normalized LoraConfig, not a copy of the checkpoint config', () => {
    const text = build()['adapter_config.json'];
    const config = JSON.parse(text) as Record<string, unknown>;
    expect(config).toEqual({
      peft_type: 'LORA',
      task_type: 'CAUSAL_LM',
      base_model_name_or_path: BASE,
      revision: null,
      inference_mode: true,
      r: 8,
      target_modules: ['q_proj', 'v_proj'],
      lora_alpha: 16,
      lora_dropout: 0.05,
      fan_in_fan_out: false,
      bias: 'none',
      use_rslora: true,
      modules_to_save: null,
      init_lora_weights: true,
      layers_to_transform: null,
      layers_pattern: null,
      rank_pattern: {},
      alpha_pattern: {},
    });
    expect(text).toContain('\n  "r": 8,\n');
    expect(CONFIG.base_model_name_or_path).toBe('fixture/tiny-base');
  });

  it('refuses matrices whose rank or modules differ from the config', () => {
    const other = configFor({ q_proj: module(0, 1, 4, 8, 8) });
    let e = errorOf(() =>
      build({ loraConfig: { ...other, target_modules: ['q_proj', 'v_proj'] } }),
    );
    expect(e.code).toBe('bad-shape');
    expect(e.message).toBe('adapter module q_proj: rank 8, but adapter_config.json says r = 4');
    e = errorOf(() => build({ loraConfig: other }));
    expect(e.message).toMatch(/target_modules \[q_proj\] must be the generated modules/);
  });

  it('records the format, module order and caller metadata', () => {
    const out = build({
      moduleOrder: ['v_proj', 'q_proj'],
      metadata: { description: 'Solve math word problems.', variant: 'L' },
    });
    const { metadata, tensors } = readSafetensors(out['adapter_model.safetensors']);
    expect(metadata).toEqual({
      format: 'pt',
      't2l.module_order': 'v_proj,q_proj',
      description: 'Solve math word problems.',
      variant: 'L',
    });
    expect([...tensors.keys()][0]).toBe(adapterKey(0, 'v_proj', 'A'));
  });

  it('writes float16 when asked', () => {
    const { tensors } = readSafetensors(build({ dtype: 'float16' })['adapter_model.safetensors']);
    const t = tensors.get(adapterKey(0, 'q_proj', 'A'))!;
    expect(t.dtype).toBe('F16');
    expect([t.data[0], t.data[1], t.data[2]]).toEqual([0, 1, 2]);
  });

  it('refuses arrays that do not match their shapes', () => {
    const short = qv();
    short.q_proj.loraA = short.q_proj.loraA.subarray(1);
    let e = errorOf(() => build({ modules: short }));
    expect(e.code).toBe('bad-shape');
    expect(e.message).toBe(
      'adapter module q_proj: lora_A should be [3, 8, 48] = 1152 values, found 1151',
    );

    const long = qv();
    long.v_proj.loraB = new Float32Array(3 * 16 * 8 + 8);
    e = errorOf(() => build({ modules: long }));
    expect(e.message).toBe(
      'adapter module v_proj: lora_B should be [3, 16, 8] = 384 values, found 392',
    );

    const layers = { q_proj: module(0, 3, 8, 48, 40), v_proj: module(0, 2, 8, 48, 16) };
    e = errorOf(() => build({ modules: layers }));
    expect(e.message).toBe('adapter module v_proj: 2 layers, expected 3 like q_proj');

    const zero = { ...qv(), v_proj: { ...module(0, 3, 8, 48, 16), rank: 0 } };
    expect(errorOf(() => build({ modules: zero })).message).toMatch(
      /v_proj: rank must be a positive/,
    );
  });

  it('refuses a module order that does not match the modules', () => {
    for (const moduleOrder of [
      ['q_proj'],
      ['q_proj', 'v_proj', 'k_proj'],
      ['q_proj', 'q_proj'],
      [],
    ]) {
      const e = errorOf(() => build({ moduleOrder }));
      expect(e.code).toBe('bad-input');
      expect(e.message).toMatch(/must list each generated module \[q_proj, v_proj\] once/);
    }
  });
});
