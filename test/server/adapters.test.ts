/** POST /v1/adapters: the adapter file for curl users, equal to what the CLI/core write. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTextEncoder } from '../../src/core/encoder/text-encoder';
import { conformanceExpected } from '../support/conformance';
import { readModelCard } from '../../src/core/adapter/model-card';
import { parseSafetensorsIndependently } from '../support/independent-safetensors';
import {
  assertNoLoneSurrogateEscapes,
  assertWellFormed,
  strictJson,
  strictUtf8,
} from '../support/strict-text';
import {
  E,
  localAdapters,
  makeFixture,
  postJson,
  relativeError,
  serve,
  type Fixture,
  type Running,
} from './helpers';

const CASES = join(import.meta.dirname, '..', 'fixtures', 'cases');

let fx: Fixture;
let srv: Running;

beforeAll(async () => {
  fx = await makeFixture();
  srv = await serve({ modelsDir: fx.modelsDir, encoder: fx.encoderDir, maxDescriptionChars: 200 });
});
afterAll(async () => {
  await srv?.server.close();
  await fx?.cleanup();
});

const emb = (row: number) => Array.from(fx.taskEmb.subarray(row * E, (row + 1) * E));

function expectReference(safetensors: Uint8Array, row: number) {
  const { tensors, metadata } = parseSafetensorsIndependently(safetensors);
  const expected = conformanceExpected('L-sft', row);
  expect([...tensors.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [key, e] of expected) {
    expect(relativeError(tensors.get(key)!.values, e.data), key).toBeLessThanOrEqual(1e-4);
  }
  return metadata ?? {};
}

describe('POST /v1/adapters', () => {
  it('returns the PEFT zip (model card, config, safetensors) for a task embedding', async () => {
    const res = await postJson(`${srv.url}/v1/adapters`, { model: 'L-sft', task_emb: emb(1) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename=".+\.zip"$/);
    const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
    const names = Object.keys(files);
    expect(names.some((n) => n.endsWith('adapter_config.json'))).toBe(true);
    expect(names.some((n) => n.endsWith('README.md'))).toBe(true);
    const st = names.find((n) => n.endsWith('adapter_model.safetensors'))!;
    const metadata = expectReference(files[st]!, 1);
    expect(metadata['t2l.module_order']).toBe('q_proj,v_proj');
    expect(metadata['t2l.backend']).toBe('cpu');
    const config = JSON.parse(
      new TextDecoder().decode(files[names.find((n) => n.endsWith('adapter_config.json'))!]),
    );
    expect(config).toMatchObject({
      r: 8,
      use_rslora: true,
      base_model_name_or_path: 'fixture/tiny-base',
    });
  });

  it('returns the bare safetensors, in float16 when asked', async () => {
    const res = await postJson(`${srv.url}/v1/adapters`, {
      model: 'L-pkg',
      task_emb: emb(2),
      format: 'safetensors',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('content-disposition')).toMatch(/filename=".+\.safetensors"/);
    expectReference(new Uint8Array(await res.arrayBuffer()), 2);

    const half = await postJson(`${srv.url}/v1/adapters`, {
      model: 'L-pkg',
      task_emb: emb(2),
      format: 'safetensors',
      dtype: 'float16',
    });
    const { tensors } = parseSafetensorsIndependently(new Uint8Array(await half.arrayBuffer()));
    expect([...tensors.values()].every((t) => t.dtype === 'F16')).toBe(true);
  });

  it('embeds a description with the server encoder, equal to local generation', async () => {
    const description = 'Answer questions about chemistry';
    const enc = await createTextEncoder({ localPath: fx.encoderDir });
    const e = await enc.embed([description]);
    await enc.dispose();
    const [want] = await localAdapters(fx.model, e.data);
    const res = await postJson(`${srv.url}/v1/adapters`, {
      model: 'L-sft',
      description,
      format: 'safetensors',
    });
    expect(res.status).toBe(200);
    const { tensors, metadata } = parseSafetensorsIndependently(
      new Uint8Array(await res.arrayBuffer()),
    );
    expect(metadata?.['t2l.description']).toBe(description);
    const A = want!.modules['q_proj']!;
    const perLayer = A.rank * A.inFeatures;
    for (let l = 0; l < A.layers; l++) {
      const key = `base_model.model.model.layers.${l}.self_attn.q_proj.lora_A.weight`;
      expect(
        relativeError(tensors.get(key)!.values, A.loraA.subarray(l * perLayer, (l + 1) * perLayer)),
      ).toBeLessThanOrEqual(1e-4);
    }
  });

  it('a description with a lone surrogate gives files strict readers accept (case safetensors-lone-surrogate)', async () => {
    // The case's request body (test/fixtures/cases/safetensors-lone-surrogate), but for the model
    // name: "\\ud800" is an unpaired high surrogate escape, which JSON.parse accepts.
    const body = readFileSync(join(CASES, 'safetensors-lone-surrogate', 'request.json'), 'utf8')
      .trim()
      .replace('"model": "L"', '"model": "L-sft"');
    expect(body).toContain('\\ud800');
    const res = await postJson(`${srv.url}/v1/adapters`, body);
    expect(res.status).toBe(200);
    const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
    const get = (name: string) => files[Object.keys(files).find((n) => n.endsWith(name))!]!;
    // The header as the Rust reader (serde_json) reads it; the description made well-formed.
    const { metadata } = parseSafetensorsIndependently(get('adapter_model.safetensors'));
    expect(metadata?.['t2l.description']).toBe('Solve math \uFFFD problems');
    strictJson(get('adapter_config.json'), 'adapter_config.json');
    const card = strictUtf8(get('README.md'), 'README.md');
    assertNoLoneSurrogateEscapes(card, 'README.md');
    expect(readModelCard(card).facts.description).toBe('Solve math \uFFFD problems');
    for (const name of Object.keys(files)) assertWellFormed(name, 'zip entry name');
    expect(res.headers.get('content-disposition')).toBe(
      'attachment; filename="t2l-solve-math-problems.zip"',
    );
    // GGUF strings too (general.description), as UTF-8 of the well-formed text.
    const g = await postJson(`${srv.url}/v1/adapters`, {
      model: 'L-sft',
      description: 'Solve math \ud800 problems',
      format: 'gguf',
      gguf: { arch: 'gemma2' },
    });
    expect(g.status).toBe(200);
    const gguf = new Uint8Array(await g.arrayBuffer());
    const want = new TextEncoder().encode('Solve math \uFFFD problems');
    expect(Buffer.from(gguf).indexOf(Buffer.from(want))).toBeGreaterThan(0);
  });

  it('writes GGUF when the base model is described, and says what is missing otherwise', async () => {
    const missing = await postJson(`${srv.url}/v1/adapters`, {
      model: 'L-sft',
      task_emb: emb(0),
      format: 'gguf',
    });
    expect(missing.status).toBe(400);
    expect((await missing.json()).error).toMatch(
      /GGUF: base model "fixture\/tiny-base" is not one t2l-web knows/,
    );
    const res = await postJson(`${srv.url}/v1/adapters`, {
      model: 'L-sft',
      task_emb: emb(0),
      format: 'gguf',
      gguf: { arch: 'llama', nHead: 5, nKvHead: 2 },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(/\.gguf"$/);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe('GGUF');
  });

  const bad: Array<[string, unknown, number, RegExp]> = [
    ['not JSON', '{', 400, /must be JSON/],
    ['no model', { description: 'x' }, 400, /"model" must be a string: one of L-pkg, L-sft/],
    ['unknown model', { model: 'nope', description: 'x' }, 404, /unknown model "nope"/],
    ['neither input', { model: 'L-sft' }, 400, /give "description" \(a string\) or "task_emb"/],
    ['both inputs', { model: 'L-sft', description: 'x', task_emb: [1] }, 400, /not both/],
    [
      'bad format',
      { model: 'L-sft', description: 'x', format: 'tar' },
      400,
      /"format" must be one of zip, peft-zip, safetensors, gguf/,
    ],
    [
      'bad dtype',
      { model: 'L-sft', description: 'x', dtype: 'int8' },
      400,
      /"dtype" must be one of float32, float16, bfloat16/,
    ],
    [
      'bad gguf options',
      { model: 'L-sft', description: 'x', gguf: { arch: 'gpt2' } },
      400,
      /"gguf.arch" must be "llama" or "gemma2"/,
    ],
    [
      'short task_emb',
      { model: 'L-sft', task_emb: [1, 2, 3] },
      400,
      /shape \[1, 3\] does not fit \[-1, 1024\]/,
    ],
    [
      'empty description',
      { model: 'L-sft', description: '' },
      400,
      /description 0: The task description is empty/,
    ],
    [
      'long description',
      { model: 'L-sft', description: 'y'.repeat(201) },
      400,
      /201 characters; this server takes at most 200/,
    ],
  ];
  it.each(bad)('%s answers %s with a message', async (_name, body, status, message) => {
    const res = await postJson(`${srv.url}/v1/adapters`, body);
    expect(res.status).toBe(status);
    expect((await res.json()).error).toMatch(message);
  });
});
