/**
 * Every adapter t2l-web writes loads by PEFT's and vLLM's rules (test/support/consumer-rules.ts,
 * re-stated from their sources), or the model is refused before anything is written: the demo
 * checkpoints, the conformance checkpoints, and checkpoint configs with missing or odd fields
 * (../shared/cases/adapter-config-not-normalized). One rule for every format: where the PEFT
 * folder is written, the GGUF is too, with the same scale.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { adapterDownload, adapterFolder, adapterGguf } from '../../../src/core/adapter/download';
import { vllmMaxLoraRank } from '../../../src/core/adapter/model-card';
import { writeSafetensors } from '../../../src/core/adapter/safetensors';
import { loadCheckpoint } from '../../../src/core/checkpoint/load';
import { T2LError } from '../../../src/core/errors';
import { memorySource } from '../../../src/core/files';
import type { GeneratedAdapter } from '../../../src/core/generate';
import type { PackageManifest } from '../../../src/core/package/manifest';
import { convertCheckpoint } from '../../../src/core/package/model';
import { DEMO_VARIANTS, demoCheckpointFiles } from '../../../src/fixtures/demo';
import { makeRandomCheckpoint } from '../../../src/fixtures/random-checkpoint';
import { dirSource } from '../../../src/node/fs-source';
import {
  peftLoadProblems,
  vllmLoadProblems,
  type AdapterFolderBytes,
  type BaseModelShape,
} from '../../support/consumer-rules';
import { CONFORMANCE_CASES, CONFORMANCE_DIR } from '../../support/conformance';
import { parseGguf } from '../../support/gguf-reader';
import { t2l } from '../../support/t2l-cli';

const CASE = join(
  import.meta.dirname,
  '..',
  '..',
  'fixtures',
  'cases',
  'adapter-config-not-normalized',
);

/** An adapter of the manifest's shapes with recognisable values (the writers are under test). */
function adapterFor(m: PackageManifest): GeneratedAdapter {
  const modules: GeneratedAdapter['modules'] = {};
  for (const { name, inFeatures, outFeatures } of m.modules) {
    modules[name] = {
      loraA: Float32Array.from({ length: m.layers * m.rank * inFeatures }, (_, i) => Math.sin(i)),
      loraB: Float32Array.from({ length: m.layers * outFeatures * m.rank }, (_, i) => Math.cos(i)),
      layers: m.layers,
      rank: m.rank,
      inFeatures,
      outFeatures,
    };
  }
  return { modules };
}

/** The base model as PEFT/vLLM would see it: the checkpoint's per-module Linear shapes. */
function baseOf(m: PackageManifest): BaseModelShape {
  return {
    layers: m.layers,
    modules: Object.fromEntries(m.modules.map((x) => [x.name, x])),
  };
}

/** All problems PEFT and vLLM would have with the PEFT folder a model writes. */
function consumerProblems(m: PackageManifest, description = 'Solve math \ud800 problems') {
  const folder = adapterFolder(m, adapterFor(m), { description }) as unknown as AdapterFolderBytes;
  return [
    ...peftLoadProblems(folder, baseOf(m)).map((p) => `PEFT: ${p}`),
    ...vllmLoadProblems(folder, { maxLoraRank: vllmMaxLoraRank(m.rank) }).map((p) => `vLLM: ${p}`),
  ];
}

const configOf = (m: PackageManifest) =>
  JSON.parse(adapterFolder(m, adapterFor(m))['adapter_config.json'] as string) as Record<
    string,
    unknown
  >;

async function ggufAlpha(m: PackageManifest, gguf = {}): Promise<number> {
  const g = await parseGguf(adapterGguf(m, adapterFor(m), { gguf }));
  return g.metadata['adapter.lora.alpha']!.value as number;
}

describe('adapters from the demo and conformance checkpoints load in PEFT and vLLM', () => {
  // The demo checkpoints (models/demo, src/fixtures/demo.ts), made in memory, and the conformance ones.
  const sources = [
    ...Object.keys(DEMO_VARIANTS).map((n) => ({
      name: `demo ${n}`,
      open: () => loadCheckpoint(memorySource(`demo/${n}`, { ...demoCheckpointFiles(n) })),
    })),
    ...CONFORMANCE_CASES.map((n) => ({
      name: `conformance ${n}`,
      open: () => loadCheckpoint(dirSource(join(CONFORMANCE_DIR, n))),
    })),
  ];

  it.each(sources)('$name', async ({ open }) => {
    const model = convertCheckpoint(await open());
    const m = model.manifest;
    expect(consumerProblems(m)).toEqual([]);
    // The GGUF of the same model carries the same PEFT scale (llama.cpp: alpha / r).
    const c = configOf(m);
    const scale = c['use_rslora']
      ? (c['lora_alpha'] as number) / Math.sqrt(m.rank)
      : (c['lora_alpha'] as number) / m.rank;
    const alpha = await ggufAlpha(m, { arch: 'gemma2' });
    expect(alpha / m.rank).toBeCloseTo(scale, 5);
  });
});

/** The demo M checkpoint's files with its adapter_config.json edited. */
function withConfig(edit: (c: Record<string, unknown>) => void) {
  const files = makeRandomCheckpoint({
    taskEmbSize: 64,
    latentSize: 32,
    headInSize: 32,
    layers: 2,
    rank: 8,
    modules: [
      { name: 'q_proj', inFeatures: 16, outFeatures: 16 },
      { name: 'v_proj', inFeatures: 16, outFeatures: 8 },
    ],
    baseModel: 't2l-web/tiny-demo-base',
    sharedABHead: true,
    seed: 5,
  });
  const c = JSON.parse(files['adapter_config.json'] as string) as Record<string, unknown>;
  edit(c);
  return { ...files, 'adapter_config.json': JSON.stringify(c) };
}

async function open(edit: (c: Record<string, unknown>) => void) {
  const ckpt = await loadCheckpoint(memorySource('ck', withConfig(edit)));
  return convertCheckpoint(ckpt).manifest;
}

async function refusal(edit: (c: Record<string, unknown>) => void): Promise<T2LError> {
  try {
    await open(edit);
  } catch (e) {
    expect(e).toBeInstanceOf(T2LError);
    return e as T2LError;
  }
  throw new Error('expected the checkpoint to be refused');
}

describe('checkpoint configs with missing or odd fields', () => {
  // Loadable after normalization: PEFT's defaults where the reference's save_pretrained writes them.
  const LOADS: Array<[string, (c: Record<string, unknown>) => void, Record<string, unknown>]> = [
    ['no peft_type', (c) => delete c['peft_type'], { peft_type: 'LORA' }],
    ['no lora_alpha', (c) => delete c['lora_alpha'], { lora_alpha: 8 }],
    ['no task_type', (c) => delete c['task_type'], { task_type: 'CAUSAL_LM' }],
    ['task_type null', (c) => (c['task_type'] = null), { task_type: 'CAUSAL_LM' }],
    ['no use_rslora', (c) => delete c['use_rslora'], { use_rslora: false }],
    ['no bias, no lora_dropout', (c) => (delete c['bias'], delete c['lora_dropout']), {}],
    ['fractional lora_alpha', (c) => (c['lora_alpha'] = 12.5), { lora_alpha: 12.5 }],
    ['inference_mode false', (c) => (c['inference_mode'] = false), { inference_mode: true }],
    ['no base_model_name_or_path', (c) => delete c['base_model_name_or_path'], {}],
    ['unknown extra keys', (c) => ((c['foo'] = { bar: 1 }), (c['use_dora'] = false)), {}],
    [
      'empty patterns and modules_to_save',
      (c) => ((c['rank_pattern'] = {}), (c['alpha_pattern'] = {}), (c['modules_to_save'] = null)),
      {},
    ],
    [
      'target_modules in another order',
      (c) => (c['target_modules'] = ['v_proj', 'q_proj']),
      { target_modules: ['v_proj', 'q_proj'] },
    ],
  ];

  it.each(LOADS)(
    '%s: written normalized, loads in PEFT and vLLM, GGUF agrees',
    async (_n, edit, want) => {
      const m = await open(edit);
      expect(consumerProblems(m)).toEqual([]);
      const c = configOf(m);
      expect(c).toMatchObject({
        peft_type: 'LORA',
        task_type: 'CAUSAL_LM',
        r: 8,
        base_model_name_or_path: 't2l-web/tiny-demo-base',
        ...want,
      });
      expect(c).not.toHaveProperty('foo');
      expect(c).not.toHaveProperty('use_dora');
      // The demo base is known to the GGUF writer: the same checkpoint gives a GGUF, same scale.
      const scale = c['use_rslora']
        ? (c['lora_alpha'] as number) / Math.sqrt(8)
        : (c['lora_alpha'] as number) / 8;
      expect((await ggufAlpha(m)) / 8).toBeCloseTo(scale, 5);
    },
  );

  const REFUSED: Array<[string, (c: Record<string, unknown>) => void, RegExp]> = [
    ['peft_type other than LORA', (c) => (c['peft_type'] = 'IA3'), /peft_type "IA3"/],
    ['task_type not causal LM', (c) => (c['task_type'] = 'SEQ_CLS'), /task_type "SEQ_CLS"/],
    ['task_type unknown', (c) => (c['task_type'] = 'CHAT'), /task_type/],
    ['use_dora', (c) => (c['use_dora'] = true), /use_dora true/],
    ['modules_to_save', (c) => (c['modules_to_save'] = ['lm_head']), /modules_to_save/],
    ['rank_pattern', (c) => (c['rank_pattern'] = { q_proj: 4 }), /rank_pattern/],
    ['alpha_pattern', (c) => (c['alpha_pattern'] = { q_proj: 32 }), /alpha_pattern/],
    ['layers_to_transform', (c) => (c['layers_to_transform'] = [0]), /layers_to_transform/],
    ['bias all', (c) => (c['bias'] = 'all'), /bias "all"/],
    ['lora_alpha 0', (c) => (c['lora_alpha'] = 0), /lora_alpha/],
    ['use_rslora "true"', (c) => (c['use_rslora'] = 'true'), /use_rslora/],
    ['fan_in_fan_out', (c) => (c['fan_in_fan_out'] = true), /fan_in_fan_out/],
  ];

  it.each(REFUSED)('%s: refused when the model opens', async (_n, edit, message) => {
    const e = await refusal(edit);
    expect(e.message).toMatch(message);
    expect(e.message).toContain('adapter_config.json');
  });

  const tmp = mkdtempSync(join(tmpdir(), 't2l-consumers-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('the CLI writes the normalized config for the case inputs, and nothing for a refused one', async () => {
    // The case's inputs: the demo M checkpoint with its adapter_config.json missing one key.
    const demoM = demoCheckpointFiles('M');
    const put = (name: string, config: string) => {
      const dir = join(tmp, name);
      mkdirSync(dir, { recursive: true });
      for (const [f, v] of Object.entries({ ...demoM, 'adapter_config.json': config })) {
        writeFileSync(join(dir, f), v);
      }
      return dir;
    };
    const emb = join(tmp, 'emb.safetensors');
    writeFileSync(
      emb,
      writeSafetensors([{ name: 'e', shape: [1, 1024], data: new Float32Array(1024).fill(0.03) }]),
    );
    const args = (dir: string, out: string, ...more: string[]) => [
      'generate',
      dir,
      '--embedding',
      emb,
      '--tensor',
      'e',
      '-o',
      out,
      ...more,
    ];
    const base: BaseModelShape = {
      layers: 4,
      modules: {
        q_proj: { inFeatures: 64, outFeatures: 64 },
        v_proj: { inFeatures: 64, outFeatures: 16 },
      },
    };
    for (const [file, key, value] of [
      ['adapter_config.no-peft-type.json', 'peft_type', 'LORA'],
      ['adapter_config.no-lora-alpha.json', 'lora_alpha', 8],
    ] as const) {
      const dir = put(file, readFileSync(join(CASE, file), 'utf8'));
      const out = join(tmp, `out-${key}`);
      const peft = await t2l(args(dir, out));
      expect(peft.stderr).toBe('');
      expect(peft.code).toBe(0);
      const files = {
        'adapter_config.json': new Uint8Array(readFileSync(join(out, '0', 'adapter_config.json'))),
        'adapter_model.safetensors': new Uint8Array(
          readFileSync(join(out, '0', 'adapter_model.safetensors')),
        ),
      };
      expect(JSON.parse(new TextDecoder().decode(files['adapter_config.json']))[key]).toBe(value);
      expect(peftLoadProblems(files, base)).toEqual([]);
      expect(vllmLoadProblems(files, { maxLoraRank: 8 })).toEqual([]);
      // The GGUF export takes the same checkpoint (one rule for every format).
      const gguf = await t2l(args(dir, out, '--format', 'gguf'));
      expect(gguf.stderr).toBe('');
      expect(gguf.code).toBe(0);
    }

    const config = JSON.parse(readFileSync(join(CASE, 'adapter_config.no-peft-type.json'), 'utf8'));
    const dora = put('dora', JSON.stringify({ ...config, use_dora: true }));
    const out2 = join(tmp, 'out-dora');
    const refused = await t2l(args(dora, out2));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/use_dora true/);
    expect(refused.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(existsSync(out2)).toBe(false);
  });

  it('the zip download holds the same normalized folder', async () => {
    const m = await open((c) => delete c['lora_alpha']);
    const d = adapterDownload(m, adapterFor(m), { format: 'peft-zip', description: 'x' });
    const files = unzipSync(d.bytes);
    const config = JSON.parse(new TextDecoder().decode(files['t2l-x/adapter_config.json']));
    expect(config).toEqual(configOf(m));
  });
});
