import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { t2l } from '../support/t2l-cli';
import { CONFORMANCE_DIR, conformanceExpected, relativeError } from '../support/conformance';
import { parseSafetensorsIndependently } from '../support/independent-safetensors';

const tmp = mkdtempSync(join(tmpdir(), 't2l-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs the CLI as a user would after the README's install step; resolves with exit code and output. */

function expectMatchesReference(adapterDir: string, name: string, row: number) {
  const bytes = new Uint8Array(readFileSync(join(adapterDir, 'adapter_model.safetensors')));
  const { tensors, metadata } = parseSafetensorsIndependently(bytes);
  const expected = conformanceExpected(name, row);
  expect([...tensors.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [key, e] of expected) {
    const t = tensors.get(key)!;
    expect(t.dtype).toBe('F32');
    expect(t.shape).toEqual(e.shape);
    expect(relativeError(t.values, e.data), key).toBeLessThanOrEqual(1e-4);
  }
  expect(metadata?.['t2l.module_order']).toBe('q_proj,v_proj');
  const config = JSON.parse(readFileSync(join(adapterDir, 'adapter_config.json'), 'utf8'));
  expect(config.base_model_name_or_path).toBe('fixture/tiny-base');
  expect(config.r).toBe(8);
  expect(config.use_rslora).toBe(true);
}

describe('t2l CLI', () => {
  it('npx t2l generate writes one reference-equal adapter per embedding row', async () => {
    const out = join(tmp, 'gen-L');
    const dir = join(CONFORMANCE_DIR, 'L-sft');
    const r = await t2l(
      ['generate', dir, '--embedding', join(dir, 'inputs.safetensors'), '-o', out, '--zip'],
      true,
    );
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['0', '0.zip', '1', '1.zip', '2', '2.zip']);
    for (const row of [0, 1, 2]) expectMatchesReference(join(out, String(row)), 'L-sft', row);
    const zipped = unzipSync(new Uint8Array(readFileSync(join(out, '1.zip'))));
    // out/1.zip unpacks to the folder 1/.
    expect(Object.keys(zipped).sort()).toEqual([
      '1/README.md',
      '1/adapter_config.json',
      '1/adapter_model.safetensors',
    ]);
    expect(zipped['1/adapter_model.safetensors']).toEqual(
      new Uint8Array(readFileSync(join(out, '1', 'adapter_model.safetensors'))),
    );
  });

  it('convert, inspect and generate from the package give the same adapters', async () => {
    const pkg = join(tmp, 'pkg-S');
    const dir = join(CONFORMANCE_DIR, 'S-learnedpos-sft');
    const c = await t2l(['convert', dir, '-o', pkg]);
    expect(c.code).toBe(0);
    expect(readdirSync(pkg).sort()).toEqual(['model.onnx', 't2l.json']);

    const i = await t2l(['inspect', pkg]);
    expect(i.code).toBe(0);
    expect(i.stdout).toContain('T2L-S (learned rank positions)');
    expect(i.stdout).toContain('q_proj 48→40, v_proj 48→16');
    expect(i.stdout).toContain('module order   q_proj, v_proj');
    expect(i.stdout).toContain('852,864');

    const out = join(tmp, 'gen-S');
    const g = await t2l([
      'generate',
      pkg,
      '--embedding',
      join(dir, 'inputs.safetensors'),
      '-o',
      out,
    ]);
    expect(g.code).toBe(0);
    for (const row of [0, 1, 2])
      expectMatchesReference(join(out, String(row)), 'S-learnedpos-sft', row);
  });

  it('inspect --json on a checkpoint reports sizes and parameters', async () => {
    const r = await t2l(['inspect', join(CONFORMANCE_DIR, 'M-recon-zscore-factorized'), '--json']);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info).toMatchObject({
      kind: 'checkpoint',
      variant: 'M',
      trainingTask: 'recon',
      layers: 3,
      rank: 8,
      taskEmbSize: 1024,
    });
  });

  it('writes float16 adapters on request', async () => {
    const out = join(tmp, 'gen-f16');
    const dir = join(CONFORMANCE_DIR, 'M-sft');
    const r = await t2l([
      'generate',
      dir,
      '--embedding',
      join(dir, 'inputs.safetensors'),
      '-o',
      out,
      '--dtype',
      'float16',
    ]);
    expect(r.code).toBe(0);
    const { tensors } = parseSafetensorsIndependently(
      new Uint8Array(readFileSync(join(out, '0', 'adapter_model.safetensors'))),
    );
    const expected = conformanceExpected('M-sft', 0);
    for (const [key, e] of expected) {
      expect(tensors.get(key)!.dtype).toBe('F16');
      expect(relativeError(tensors.get(key)!.values, e.data)).toBeLessThan(2e-3);
    }
  });

  it('errors go to stderr with a non-zero exit', async () => {
    const dir = join(CONFORMANCE_DIR, 'L-sft');
    const missing = await t2l(['inspect', join(tmp, 'nope')]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('no such folder');

    const both = await t2l(['generate', dir, '-o', join(tmp, 'x')]);
    expect(both.code).not.toBe(0);
    expect(both.stderr).toContain('give exactly one of --embedding');

    const badTensor = await t2l([
      'generate',
      dir,
      '--embedding',
      join(dir, 'inputs.safetensors'),
      '--tensor',
      'nope',
      '-o',
      join(tmp, 'y'),
    ]);
    expect(badTensor.code).not.toBe(0);
    expect(badTensor.stderr).toContain('no tensor "nope" (it has: ');

    const wrongSize = await t2l([
      'generate',
      dir,
      '--embedding',
      join(dir, 'inputs.safetensors'),
      '--tensor',
      'encoded_task_emb',
      '-o',
      join(tmp, 'z'),
    ]);
    expect(wrongSize.code).not.toBe(0);
    expect(wrongSize.stderr).toContain('expected shape [1024] or [N, 1024], found [3, 64]');

    const order = await t2l(['convert', dir, '-o', join(tmp, 'w'), '--module-order', 'q_proj']);
    expect(order.code).not.toBe(0);
    expect(order.stderr).toContain('must list each target module exactly once');
  });

  it('--help documents every command', async () => {
    const r = await t2l(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['inspect', 'convert', 'generate']) expect(r.stdout).toContain(c);
    const g = await t2l(['generate', '--help']);
    for (const o of [
      '--embedding',
      '--tensor',
      '--description',
      '--encoder',
      '--module-order',
      '--zip',
      '--dtype',
    ]) {
      expect(g.stdout).toContain(o);
    }
  });
});

describe('t2l generate --description', () => {
  it('--encoder naming a file or an empty folder names the missing file, with no stack trace', async () => {
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const file = join(tmp, 'encoder-file.onnx');
    writeFileSync(file, 'x');
    const empty = join(tmp, 'encoder-empty');
    mkdirSync(empty);
    const ckpt = join(CONFORMANCE_DIR, 'L-sft');
    for (const [encoder, message] of [
      [file, 'is a file, expected a transformers.js model folder (config.json'],
      [empty, 'missing config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx'],
    ] as const) {
      const out = join(tmp, 'never-written');
      const r = await t2l([
        'generate',
        ckpt,
        '--description',
        'x',
        '--encoder',
        encoder,
        '-o',
        out,
      ]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(`encoder ${encoder}: ${message}`);
      expect(r.stderr).not.toMatch(/TypeError|\n\s+at /);
    }
  });

  it('embeds the text with the encoder and equals generating from that embedding', async () => {
    const { writeTinyEncoder } = await import('../../scripts/fixtures/write-tiny-encoder');
    const { makeRandomCheckpoint } = await import('../../src/fixtures/random-checkpoint');
    const { createTextEncoder } = await import('../../src/core/encoder/text-encoder');
    const { writeSafetensors } = await import('../../src/core/adapter/safetensors');
    const { writeFolder } = await import('../../src/node/fs-source');
    const { writeFile } = await import('node:fs/promises');

    const encoderDir = join(tmp, 'tiny-encoder');
    await writeTinyEncoder(encoderDir, { hiddenSize: 1024 });
    const ckptDir = join(tmp, 'tiny-ckpt');
    await writeFolder(ckptDir, {
      ...makeRandomCheckpoint({ latentSize: 64, headInSize: 64, seed: 3 }),
    });

    const texts = ['Solve grade-school math word problems step by step', 'Détecter le sarcasme'];
    const enc = await createTextEncoder({ localPath: encoderDir });
    const emb = await enc.embed(texts);
    await enc.dispose();
    const embFile = join(tmp, 'emb.safetensors');
    await writeFile(
      embFile,
      writeSafetensors([{ name: 'task_emb', shape: emb.dims, data: emb.data }]),
    );

    const fromText = join(tmp, 'from-text');
    const a = await t2l([
      'generate',
      ckptDir,
      '--description',
      ...texts,
      '--encoder',
      encoderDir,
      '-o',
      fromText,
    ]);
    expect(a.stderr).not.toContain('error');
    expect(a.code).toBe(0);
    const fromEmb = join(tmp, 'from-emb');
    const b = await t2l(['generate', ckptDir, '--embedding', embFile, '-o', fromEmb]);
    expect(b.code).toBe(0);

    for (const row of ['0', '1']) {
      const x = parseSafetensorsIndependently(
        new Uint8Array(readFileSync(join(fromText, row, 'adapter_model.safetensors'))),
      );
      const y = parseSafetensorsIndependently(
        new Uint8Array(readFileSync(join(fromEmb, row, 'adapter_model.safetensors'))),
      );
      expect(x.metadata?.['t2l.description']).toBe(texts[Number(row)]);
      expect([...x.tensors.keys()]).toEqual([...y.tensors.keys()]);
      for (const [key, t] of y.tensors)
        expect(relativeError(x.tensors.get(key)!.values, t.values)).toBeLessThanOrEqual(1e-5);
    }
    // The two descriptions give different adapters.
    const k = 'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight';
    const r0 = parseSafetensorsIndependently(
      new Uint8Array(readFileSync(join(fromText, '0', 'adapter_model.safetensors'))),
    );
    const r1 = parseSafetensorsIndependently(
      new Uint8Array(readFileSync(join(fromText, '1', 'adapter_model.safetensors'))),
    );
    expect(relativeError(r0.tensors.get(k)!.values, r1.tensors.get(k)!.values)).toBeGreaterThan(
      1e-3,
    );

    const empty = await t2l([
      'generate',
      ckptDir,
      '--description',
      '  \n',
      '--encoder',
      encoderDir,
      '-o',
      join(tmp, 'e'),
    ]);
    expect(empty.code).not.toBe(0);
    expect(empty.stderr).toContain('The task description is empty');

    const wrongDim = join(tmp, 'enc-64');
    await writeTinyEncoder(wrongDim, { hiddenSize: 64 });
    const dim = await t2l([
      'generate',
      ckptDir,
      '--description',
      'x y z',
      '--encoder',
      wrongDim,
      '-o',
      join(tmp, 'd'),
    ]);
    expect(dim.code).not.toBe(0);
    expect(dim.stderr).toContain(
      'gives 64-dimensional embeddings, but the hypernetwork expects 1024',
    );
  });
});
