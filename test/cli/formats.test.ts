import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { t2l } from '../support/t2l-cli';
import { checkAdapterZip, readModelCard } from '../../src/core/adapter/model-card';
import { CONFORMANCE_DIR } from '../support/conformance';
import { parseGguf } from '../support/gguf-reader';
import { parseSafetensorsIndependently } from '../support/independent-safetensors';

const tmp = mkdtempSync(join(tmpdir(), 't2l-formats-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const DIR = join(CONFORMANCE_DIR, 'L-sft'); // base fixture/tiny-base: q_proj 48→40, v_proj 48→16, 3 layers, r 8
const EMB = ['--embedding', join(DIR, 'inputs.safetensors')];
const EXPECTED_CARD = {
  base_model: 'fixture/tiny-base',
  description: null,
  variant: 'L',
  training_task: 'sft',
  dtype: 'float16',
  module_order: ['q_proj', 'v_proj'],
  rank: 8,
  lora_alpha: 16,
  use_rslora: true,
  backend: 'cpu',
};

/** numpy's w.reshape(n, 2, rows // n // 2, cols).swapaxes(1, 2).reshape(rows, cols), row by row. */
function permuteLikeConverter(w: Float32Array, rows: number, cols: number, n: number) {
  const d = rows / n;
  const out = new Float32Array(w.length);
  let k = 0;
  for (let h = 0; h < n; h++)
    for (let j = 0; j < d / 2; j++)
      for (let s = 0; s < 2; s++)
        for (let c = 0; c < cols; c++) out[k++] = w[(h * d + s * (d / 2) + j) * cols + c]!;
  return out;
}

describe('t2l generate --format', () => {
  it('zip (and --zip): folder and zip, each with the model card', async () => {
    for (const [flag, out] of [
      [['--format', 'zip'], join(tmp, 'zip')],
      [['--zip'], join(tmp, 'zip-alias')],
    ] as const) {
      const r = await t2l(['generate', DIR, ...EMB, '-o', out, ...flag, '--dtype', 'float16']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(readdirSync(out).sort()).toEqual(['0', '0.zip', '1', '1.zip', '2', '2.zip']);
      for (const row of ['0', '2']) {
        expect(readdirSync(join(out, row)).sort()).toEqual([
          'README.md',
          'adapter_config.json',
          'adapter_model.safetensors',
        ]);
        const zip = new Uint8Array(readFileSync(join(out, `${row}.zip`)));
        expect(checkAdapterZip(zip, EXPECTED_CARD)).toEqual([]);
        const files = unzipSync(zip);
        // out/<row>.zip unpacks to the folder <row>/.
        expect(Object.keys(files).sort()).toEqual([
          `${row}/README.md`,
          `${row}/adapter_config.json`,
          `${row}/adapter_model.safetensors`,
        ]);
        const card = readFileSync(join(out, row, 'README.md'), 'utf8');
        expect(new TextDecoder().decode(files[`${row}/README.md`])).toBe(card);
        const { facts, body } = readModelCard(card);
        expect(facts.checkpoint).toBe(DIR);
        expect(Object.keys(facts.timings_ms ?? {})).toEqual(['load_hypernetwork', 'generate']);
        expect(body).toContain(`PeftModel.from_pretrained(base, "${join(out, row)}")`);
        expect(body).toContain(`--lora ${join(out, row)}.gguf`);
      }
    }
  });

  it('peft (the default) writes the folder with its model card and no zip', async () => {
    const out = join(tmp, 'peft');
    const r = await t2l(['generate', DIR, ...EMB, '-o', out]);
    expect(r.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['0', '1', '2']);
    expect(readdirSync(join(out, '1')).sort()).toEqual([
      'README.md',
      'adapter_config.json',
      'adapter_model.safetensors',
    ]);
  });

  it('gguf: <out>/<row>.gguf equal to the PEFT adapter after the llama q permutation', async () => {
    const peftOut = join(tmp, 'peft-ref');
    const ggufOut = join(tmp, 'gguf');
    const [p, g] = await Promise.all([
      t2l(['generate', DIR, ...EMB, '-o', peftOut]),
      t2l([
        'generate',
        DIR,
        ...EMB,
        '-o',
        ggufOut,
        '--format',
        'gguf',
        '--arch',
        'llama',
        '--n-head',
        '5',
      ]),
    ]);
    expect(p.code).toBe(0);
    expect(g.stderr).toBe('');
    expect(g.code).toBe(0);
    expect(g.stdout).toContain(`wrote ${join(ggufOut, '0.gguf')}`);
    expect(readdirSync(ggufOut).sort()).toEqual(['0.gguf', '1.gguf', '2.gguf']);

    for (const row of ['0', '1', '2']) {
      const gg = await parseGguf(new Uint8Array(readFileSync(join(ggufOut, `${row}.gguf`))));
      const peft = parseSafetensorsIndependently(
        new Uint8Array(readFileSync(join(peftOut, row, 'adapter_model.safetensors'))),
      ).tensors;
      const config = JSON.parse(readFileSync(join(peftOut, row, 'adapter_config.json'), 'utf8'));
      expect(gg.metadata['general.architecture']!.value).toBe('llama');
      expect(gg.metadata['general.type']!.value).toBe('adapter');
      expect(gg.metadata['adapter.type']!.value).toBe('lora');
      expect(gg.metadata['t2l.checkpoint']!.value).toBe(DIR);
      expect(gg.metadata['t2l.backend']!.value).toBe('cpu');
      const alpha = gg.metadata['adapter.lora.alpha']!.value as number;
      const peftScale = config.lora_alpha / Math.sqrt(config.r); // use_rslora
      expect(config.use_rslora).toBe(true);
      expect(Math.abs(alpha / 8 / peftScale - 1)).toBeLessThan(1e-6);
      expect(gg.order.length).toBe(3 * 2 * 2);
      for (let l = 0; l < 3; l++) {
        for (const [m, t, out, heads] of [
          ['q_proj', 'attn_q', 40, 5],
          ['v_proj', 'attn_v', 16, 0],
        ] as const) {
          const key = `base_model.model.model.layers.${l}.self_attn.${m}`;
          const a = gg.tensors.get(`blk.${l}.${t}.weight.lora_a`)!;
          const b = gg.tensors.get(`blk.${l}.${t}.weight.lora_b`)!;
          expect(a.type).toBe(0);
          expect(a.ne).toEqual([48, 8]);
          expect(b.ne).toEqual([8, out]);
          expect(a.values).toEqual(peft.get(`${key}.lora_A.weight`)!.values);
          const pb = peft.get(`${key}.lora_B.weight`)!.values;
          expect(b.values).toEqual(heads ? permuteLikeConverter(pb, out, 8, heads) : pb);
        }
      }
    }
  });

  it('refuses GGUF it cannot make correctly, before running the model', async () => {
    const gen = (out: string, ...more: string[]) =>
      t2l(['generate', DIR, ...EMB, '-o', join(tmp, out), ...more]);
    const [unknown, noHeads, bf16, zipGguf, archPeft, badHeads, help] = await Promise.all([
      gen('u', '--format', 'gguf'),
      gen('h', '--format', 'gguf', '--arch', 'llama'),
      gen('b', '--format', 'gguf', '--arch', 'gemma2', '--dtype', 'bfloat16'),
      gen('z', '--format', 'gguf', '--zip'),
      gen('a', '--arch', 'llama'),
      gen('n', '--n-head', 'x'),
      t2l(['generate', '--help']),
    ]);
    expect(unknown.stderr).toContain('base model "fixture/tiny-base" is not one t2l-web knows');
    expect(unknown.stderr).toContain('--arch llama');
    expect(noHeads.stderr).toContain('pass --n-head');
    expect(bf16.stderr).toContain('--format gguf writes float32 or float16, not bfloat16');
    expect(zipGguf.stderr).toContain('does not go with --format gguf');
    expect(archPeft.stderr).toContain('are for --format gguf');
    for (const r of [unknown, noHeads, bf16, zipGguf, archPeft]) expect(r.code).toBe(1);
    expect(badHeads.code).not.toBe(0);
    expect(badHeads.stderr).toContain('expected a positive integer');
    for (const o of ['--format', '--zip', '--arch', '--n-head', '--n-kv-head']) {
      expect(help.stdout).toContain(o);
    }
    expect(readdirSync(tmp)).not.toContain('u');
  });
});
