/** `t2l export-triton`: config.pbtxt parsed back, model.onnx loaded and run with onnxruntime-node. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { t2l } from '../support/t2l-cli';
import { adapterKey } from '../../src/core/adapter/peft';
import { loadCheckpoint } from '../../src/core/checkpoint/load';
import { convertCheckpoint, packageFiles } from '../../src/core/package/model';
import { dirSource, writeFolder } from '../../src/node/fs-source';
import { conformanceExpected, conformanceInputs, relativeError } from '../support/conformance';
import { L_SFT_DIR } from './helpers';
import { parsePbtxt, type PbMessage } from './pbtxt';

const tmp = mkdtempSync(join(tmpdir(), 't2l-triton-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const one = (m: PbMessage, key: string) => {
  expect(m[key], key).toHaveLength(1);
  return m[key]![0];
};

describe('t2l export-triton', () => {
  it('writes a model repository entry Triton can load: config.pbtxt + 1/model.onnx', async () => {
    const repo = join(tmp, 'repo');
    const r = await t2l(['export-triton', L_SFT_DIR, '-o', repo, '--max-batch-size', '8']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/config\.pbtxt.*model\.onnx.*"L-sft"/);

    const config = parsePbtxt(readFileSync(join(repo, 'L-sft', 'config.pbtxt'), 'utf8'));
    expect(one(config, 'name')).toBe('L-sft');
    expect(one(config, 'platform')).toBe('onnxruntime_onnx');
    expect(one(config, 'backend')).toBe('onnxruntime');
    expect(one(config, 'max_batch_size')).toBe(8);
    expect(one(config, 'dynamic_batching')).toEqual({});
    const tensors = (key: string) =>
      (config[key] as PbMessage[]).map((t) => ({
        name: one(t, 'name'),
        data_type: one(t, 'data_type'),
        dims: t['dims'],
      }));
    expect(tensors('input')).toEqual([{ name: 'task_emb', data_type: 'TYPE_FP32', dims: [1024] }]);
    expect(tensors('output')).toEqual([
      { name: 'q_proj.lora_A', data_type: 'TYPE_FP32', dims: [3, 8, 48] },
      { name: 'q_proj.lora_B', data_type: 'TYPE_FP32', dims: [3, 40, 8] },
      { name: 'v_proj.lora_A', data_type: 'TYPE_FP32', dims: [3, 8, 48] },
      { name: 'v_proj.lora_B', data_type: 'TYPE_FP32', dims: [3, 16, 8] },
    ]);
    const param = one(config, 'parameters') as PbMessage;
    expect(one(param, 'key')).toBe('t2l.manifest');
    const manifest = JSON.parse(one(one(param, 'value') as PbMessage, 'string_value') as string);
    expect(manifest).toMatchObject({
      variant: 'L',
      taskEmbSize: 1024,
      moduleOrder: ['q_proj', 'v_proj'],
    });
    expect(manifest.adapterConfig.base_model_name_or_path).toBe('fixture/tiny-base');

    // The graph loads and runs as Triton's ONNX Runtime backend would: names and batched shapes
    // as the config says, values equal to the reference vectors.
    const session = await ort.InferenceSession.create(join(repo, 'L-sft', '1', 'model.onnx'));
    try {
      expect(session.inputNames).toEqual(['task_emb']);
      expect(session.outputNames).toEqual(tensors('output').map((t) => t.name));
      const emb = conformanceInputs('L-sft').taskEmb;
      const out = await session.run({ task_emb: new ort.Tensor('float32', emb.data, emb.shape) });
      for (const t of tensors('output')) {
        expect(out[t.name as string]!.dims).toEqual([3, ...(t.dims as number[])]);
      }
      for (const row of [0, 1, 2]) {
        const expected = conformanceExpected('L-sft', row);
        for (const m of ['q_proj', 'v_proj']) {
          for (const which of ['A', 'B'] as const) {
            const t = out[`${m}.lora_${which}`]!;
            const perRow = t.size / 3;
            const perLayer = perRow / 3;
            for (let l = 0; l < 3; l++) {
              const ours = (t.data as Float32Array).subarray(
                row * perRow + l * perLayer,
                row * perRow + (l + 1) * perLayer,
              );
              const key = adapterKey(l, m, which);
              expect(relativeError(ours, expected.get(key)!.data), key).toBeLessThanOrEqual(1e-4);
            }
          }
        }
      }
    } finally {
      await session.release();
    }
  });

  it('exports a package under --name, escaping the manifest into the pbtxt string', async () => {
    const pkg = join(tmp, 'pkg');
    const model = convertCheckpoint(await loadCheckpoint(dirSource(L_SFT_DIR)));
    // Quotes, backslashes, newlines and non-ASCII in the manifest survive the pbtxt string.
    model.manifest.source = 'C:\\models\\"mistral" — ünïcode\nline2';
    await writeFolder(pkg, packageFiles(model));
    const repo = join(tmp, 'repo2');
    const r = await t2l(['export-triton', pkg, '-o', repo, '--name', 'mistral_7b_t2l']);
    expect(r.code).toBe(0);
    const config = parsePbtxt(readFileSync(join(repo, 'mistral_7b_t2l', 'config.pbtxt'), 'utf8'));
    expect(one(config, 'name')).toBe('mistral_7b_t2l');
    expect(one(config, 'max_batch_size')).toBe(16);
    const param = one(config, 'parameters') as PbMessage;
    const manifest = JSON.parse(one(one(param, 'value') as PbMessage, 'string_value') as string);
    expect(manifest).toEqual(model.manifest);
    const onnx = readFileSync(join(repo, 'mistral_7b_t2l', '1', 'model.onnx'));
    // Byte-equal to the package's graph (compared natively: toEqual on 5 MB is slow).
    expect(onnx.equals(Buffer.from(model.graph))).toBe(true);
  });

  it('an int8 package is exported with dynamic batching, unless its rows share a scale', async () => {
    const model = convertCheckpoint(await loadCheckpoint(dirSource(L_SFT_DIR)), {
      precision: 'int8',
    });
    // Current int8 graphs quantize each row with its own scale: rows stay independent.
    const pkg = join(tmp, 'pkg-int8');
    await writeFolder(pkg, packageFiles(model));
    const repo = join(tmp, 'repo-int8');
    expect((await t2l(['export-triton', pkg, '-o', repo, '--name', 'l_int8'])).code).toBe(0);
    expect(
      one(
        parsePbtxt(readFileSync(join(repo, 'l_int8', 'config.pbtxt'), 'utf8')),
        'dynamic_batching',
      ),
    ).toEqual({});

    // Packages written before that (no int8Activations in t2l.json) shared one scale per batch.
    const oldPkg = join(tmp, 'pkg-int8-old');
    const manifest = structuredClone(model.manifest);
    delete manifest.weights!.int8Activations;
    await writeFolder(oldPkg, packageFiles({ ...model, manifest }));
    const oldRepo = join(tmp, 'repo-int8-old');
    const r = await t2l(['export-triton', oldPkg, '-o', oldRepo, '--name', 'l_int8']);
    expect(r.code).toBe(0);
    const text = readFileSync(join(oldRepo, 'l_int8', 'config.pbtxt'), 'utf8');
    const config = parsePbtxt(text);
    expect(config['dynamic_batching']).toBeUndefined();
    expect(one(config, 'max_batch_size')).toBe(16);
    expect(text).toMatch(/# No dynamic_batching: .*int8/);
  });

  it('refuses a bad name or batch size with a clear message', async () => {
    const [bad, zero] = await Promise.all([
      t2l(['export-triton', L_SFT_DIR, '-o', join(tmp, 'r3'), '--name', '../escape']),
      t2l(['export-triton', L_SFT_DIR, '-o', join(tmp, 'r3'), '--max-batch-size', '0']),
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/model name "\.\.\/escape" must be letters, digits/);
    expect(zero.code).toBe(1);
    expect(zero.stderr).toMatch(/--max-batch-size must be a whole number ≥ 1/);
    expect(existsSync(join(tmp, 'r3'))).toBe(false);
  });
});
