/** t2l serve over real HTTP: every Open Inference Protocol endpoint, JSON and binary tensors. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adapterFiles } from '../../src/core/adapter/adapter-files';
import { readSafetensors } from '../../src/core/adapter/safetensors';
import { createTextEncoder } from '../../src/core/encoder/text-encoder';
import type { GeneratedAdapter } from '../../src/core/generate';
import { conformanceExpected } from '../support/conformance';
import {
  bytesBuffer,
  E,
  f32Buffer,
  localAdapters,
  makeFixture,
  postBinary,
  postJson,
  readInferResponse,
  relativeError,
  serve,
  type Fixture,
  type ParsedOutput,
  type Running,
} from './helpers';

let fx: Fixture;
let srv: Running;
let local: GeneratedAdapter[];
const MODULES = ['q_proj', 'v_proj'];
const OUTPUTS = ['q_proj.lora_A', 'q_proj.lora_B', 'v_proj.lora_A', 'v_proj.lora_B'];

beforeAll(async () => {
  fx = await makeFixture();
  srv = await serve({ modelsDir: fx.modelsDir, encoder: fx.encoderDir });
  local = await localAdapters(fx.model, fx.taskEmb);
});

afterAll(async () => {
  await srv?.server.close();
  await fx?.cleanup();
});

/** Row `row` of the server's batched outputs as a GeneratedAdapter (what generateAdapters gives). */
function rowAdapter(outputs: Map<string, ParsedOutput>, row: number): GeneratedAdapter {
  const adapter: GeneratedAdapter = { modules: {} };
  for (const m of MODULES) {
    const A = outputs.get(`${m}.lora_A`)!;
    const B = outputs.get(`${m}.lora_B`)!;
    const [, L, r, inF] = A.shape as [number, number, number, number];
    const outF = B.shape[2]!;
    const a = L * r * inF;
    const b = L * outF * r;
    adapter.modules[m] = {
      loraA: A.values.subarray(row * a, (row + 1) * a),
      loraB: B.values.subarray(row * b, (row + 1) * b),
      layers: L,
      rank: r,
      inFeatures: inF,
      outFeatures: outF,
    };
  }
  return adapter;
}

/** The server's adapter equals the local core's, and the reference vectors, within 1e-4. */
function expectMatchesLocalAndReference(outputs: Map<string, ParsedOutput>, rows: number[]) {
  for (const [i, row] of rows.entries()) {
    const ours = rowAdapter(outputs, i);
    for (const m of MODULES) {
      expect(
        relativeError(ours.modules[m]!.loraA, local[row]!.modules[m]!.loraA),
      ).toBeLessThanOrEqual(1e-4);
      expect(
        relativeError(ours.modules[m]!.loraB, local[row]!.modules[m]!.loraB),
      ).toBeLessThanOrEqual(1e-4);
    }
    const file = adapterFiles(fx.model.manifest, ours)['adapter_model.safetensors'];
    const { tensors } = readSafetensors(file);
    const expected = conformanceExpected('L-sft', row);
    expect([...tensors.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [key, e] of expected) {
      expect(relativeError(tensors.get(key)!.data, e.data), key).toBeLessThanOrEqual(1e-4);
    }
  }
}

describe('health and metadata', () => {
  it('GET /v2/health/live and /v2/health/ready answer 200 with an empty body', async () => {
    for (const path of ['/v2/health/live', '/v2/health/ready']) {
      const res = await fetch(srv.url + path);
      expect(res.status, path).toBe(200);
      expect(await res.text()).toBe('');
    }
  });

  it('GET /v2 gives the server metadata with the binary tensor extension', async () => {
    const res = await fetch(`${srv.url}/v2`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const meta = await res.json();
    expect(meta).toEqual({
      name: 't2l-web',
      version: expect.any(String),
      extensions: expect.arrayContaining(['binary_tensor_data']),
    });
  });

  it('GET /v2/models/{name} gives inputs and outputs with datatype and shape (-1 = batch)', async () => {
    for (const name of ['L-sft', 'L-pkg']) {
      const meta = await (await fetch(`${srv.url}/v2/models/${name}`)).json();
      expect(meta).toEqual({
        name,
        versions: ['1'],
        platform: 'onnxruntime_onnx',
        inputs: [
          { name: 'task_emb', datatype: 'FP32', shape: [-1, E] },
          { name: 'description', datatype: 'BYTES', shape: [-1] },
        ],
        outputs: [
          { name: 'q_proj.lora_A', datatype: 'FP32', shape: [-1, 3, 8, 48] },
          { name: 'q_proj.lora_B', datatype: 'FP32', shape: [-1, 3, 40, 8] },
          { name: 'v_proj.lora_A', datatype: 'FP32', shape: [-1, 3, 8, 48] },
          { name: 'v_proj.lora_B', datatype: 'FP32', shape: [-1, 3, 16, 8] },
          { name: 'task_emb', datatype: 'FP32', shape: [-1, E] },
        ],
      });
    }
  });

  it('model ready and metadata answer under /versions/1 too; other versions and models are 404', async () => {
    expect((await fetch(`${srv.url}/v2/models/L-sft/ready`)).status).toBe(200);
    expect((await fetch(`${srv.url}/v2/models/L-sft/versions/1/ready`)).status).toBe(200);
    expect((await fetch(`${srv.url}/v2/models/L-sft/versions/1`)).status).toBe(200);
    const v2 = await fetch(`${srv.url}/v2/models/L-sft/versions/2`);
    expect(v2.status).toBe(404);
    expect((await v2.json()).error).toMatch(/version/);
    const unknown = await fetch(`${srv.url}/v2/models/nope`);
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error).toMatch(/unknown model "nope".*L-pkg, L-sft/);
    expect((await fetch(`${srv.url}/v2/models/nope/ready`)).status).toBe(404);
    expect((await fetch(`${srv.url}/v2/nothing`)).status).toBe(404);
  });

  it('POST /v2/repository/index lists every model and its state', async () => {
    const res = await fetch(`${srv.url}/v2/repository/index`, { method: 'POST' });
    expect(await res.json()).toEqual([
      { name: 'L-pkg', version: '1', state: 'READY' },
      { name: 'L-sft', version: '1', state: 'READY' },
    ]);
  });

  it('GET /v2/models/{name}/config gives the Triton model configuration with the manifest', async () => {
    const config = await (await fetch(`${srv.url}/v2/models/L-pkg/config`)).json();
    expect(config).toMatchObject({
      name: 'L-pkg',
      platform: 'onnxruntime_onnx',
      backend: 'onnxruntime',
      max_batch_size: 16,
      input: [{ name: 'task_emb', data_type: 'TYPE_FP32', dims: [E] }],
      instance_group: [{ kind: 'KIND_CPU', count: 1 }],
    });
    expect(config.output).toHaveLength(4);
    expect(JSON.parse(config.parameters['t2l.manifest'].string_value)).toEqual(fx.model.manifest);
  });

  it('answers methods a route does not take with 405 and Allow', async () => {
    const res = await fetch(`${srv.url}/v2/models/L-sft/infer`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect((await res.json()).error).toMatch(/GET is not allowed/);
  });
});

describe('inference', () => {
  it('JSON tensors in and out: the three reference embeddings give the reference adapters', async () => {
    const res = await postJson(`${srv.url}/v2/models/L-sft/infer`, {
      id: 'req-1',
      inputs: [{ name: 'task_emb', shape: [3, E], datatype: 'FP32', data: Array.from(fx.taskEmb) }],
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(res.headers.get('inference-header-content-length')).toBeNull();
    const { json, outputs } = await readInferResponse(res);
    expect(json['model_name']).toBe('L-sft');
    expect(json['model_version']).toBe('1');
    expect(json['id']).toBe('req-1');
    expect([...outputs.keys()]).toEqual(OUTPUTS);
    expect(outputs.get('q_proj.lora_A')!.shape).toEqual([3, 3, 8, 48]);
    expect(outputs.get('v_proj.lora_B')!.shape).toEqual([3, 3, 16, 8]);
    expect([...outputs.values()].every((o) => !o.binary && o.datatype === 'FP32')).toBe(true);
    expectMatchesLocalAndReference(outputs, [0, 1, 2]);
  });

  it('nested JSON data (as the shape) is accepted like flat data', async () => {
    const rows = [Array.from(fx.taskEmb.subarray(E, 2 * E))];
    const res = await postJson(`${srv.url}/v2/models/L-pkg/infer`, {
      inputs: [{ name: 'task_emb', shape: [1, E], datatype: 'FP32', data: rows }],
      outputs: [{ name: 'v_proj.lora_A' }],
    });
    expect(res.status).toBe(200);
    const { outputs } = await readInferResponse(res);
    expect([...outputs.keys()]).toEqual(['v_proj.lora_A']);
    expect(
      relativeError(outputs.get('v_proj.lora_A')!.values, local[1]!.modules['v_proj']!.loraA),
    ).toBeLessThanOrEqual(1e-4);
  });

  it('binary tensors in and out (Inference-Header-Content-Length), outputs in the order asked', async () => {
    const order = ['v_proj.lora_B', 'q_proj.lora_A', 'v_proj.lora_A', 'q_proj.lora_B'];
    const res = await postBinary(
      `${srv.url}/v2/models/L-pkg/infer`,
      {
        inputs: [
          {
            name: 'task_emb',
            shape: [3, E],
            datatype: 'FP32',
            parameters: { binary_data_size: 3 * E * 4 },
          },
        ],
        outputs: order.map((name) => ({ name, parameters: { binary_data: true } })),
      },
      [f32Buffer(fx.taskEmb)],
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    const headerLength = Number(res.headers.get('inference-header-content-length'));
    expect(headerLength).toBeGreaterThan(0);
    const { json, outputs } = await readInferResponse(res);
    expect((json['outputs'] as Array<{ name: string }>).map((o) => o.name)).toEqual(order);
    expect([...outputs.values()].every((o) => o.binary)).toBe(true);
    expect(outputs.get('v_proj.lora_B')!.values.length).toBe(3 * 3 * 16 * 8);
    expectMatchesLocalAndReference(outputs, [0, 1, 2]);
  });

  it('binary_data_output asks for every output in binary; a per-output false overrides it', async () => {
    const res = await postBinary(
      `${srv.url}/v2/models/L-sft/infer`,
      {
        parameters: { binary_data_output: true },
        inputs: [
          {
            name: 'task_emb',
            shape: [1, E],
            datatype: 'FP32',
            parameters: { binary_data_size: E * 4 },
          },
        ],
        outputs: [
          { name: 'q_proj.lora_A' },
          { name: 'q_proj.lora_B', parameters: { binary_data: false } },
          { name: 'v_proj.lora_A' },
          { name: 'v_proj.lora_B' },
        ],
      },
      [f32Buffer(fx.taskEmb.subarray(2 * E, 3 * E))],
    );
    expect(res.status).toBe(200);
    const { outputs } = await readInferResponse(res);
    expect(outputs.get('q_proj.lora_B')!.binary).toBe(false);
    expect(outputs.get('q_proj.lora_A')!.binary).toBe(true);
    expectMatchesLocalAndReference(outputs, [2]);
  });

  it('JSON input with binary outputs, and binary input with JSON outputs', async () => {
    const a = await postJson(`${srv.url}/v2/models/L-sft/infer`, {
      inputs: [
        {
          name: 'task_emb',
          shape: [1, E],
          datatype: 'FP32',
          data: Array.from(fx.taskEmb.subarray(0, E)),
        },
      ],
      outputs: OUTPUTS.map((name) => ({ name, parameters: { binary_data: true } })),
    });
    expectMatchesLocalAndReference((await readInferResponse(a)).outputs, [0]);
    const b = await postBinary(
      `${srv.url}/v2/models/L-sft/infer`,
      {
        inputs: [
          {
            name: 'task_emb',
            shape: [1, E],
            datatype: 'FP32',
            parameters: { binary_data_size: E * 4 },
          },
        ],
      },
      [f32Buffer(fx.taskEmb.subarray(E, 2 * E))],
    );
    expect(b.headers.get('content-type')).toMatch(/application\/json/);
    expectMatchesLocalAndReference((await readInferResponse(b)).outputs, [1]);
  });

  it('description (BYTES) input: embedded by the server, equal to local encoder + generation', async () => {
    const descriptions = [
      'Solve grade-school math word problems step by step',
      'Translate English to French',
    ];
    const enc = await createTextEncoder({ localPath: fx.encoderDir });
    const emb = await enc.embed(descriptions);
    await enc.dispose();
    const want = await localAdapters(fx.model, emb.data);

    // JSON BYTES data, and binary BYTES (uint32 length + UTF-8) give the same.
    const viaJson = await postJson(`${srv.url}/v2/models/L-sft/infer`, {
      inputs: [{ name: 'description', shape: [2], datatype: 'BYTES', data: descriptions }],
      outputs: [...OUTPUTS, 'task_emb'].map((name) => ({ name })),
    });
    const bytes = bytesBuffer(descriptions);
    const viaBinary = await postBinary(
      `${srv.url}/v2/models/L-sft/infer`,
      {
        inputs: [
          {
            name: 'description',
            shape: [2],
            datatype: 'BYTES',
            parameters: { binary_data_size: bytes.length },
          },
        ],
        outputs: [...OUTPUTS, 'task_emb'].map((name) => ({
          name,
          parameters: { binary_data: true },
        })),
      },
      [bytes],
    );
    for (const res of [viaJson, viaBinary]) {
      expect(res.status).toBe(200);
      const { outputs } = await readInferResponse(res);
      expect(outputs.get('task_emb')!.shape).toEqual([2, E]);
      expect(relativeError(outputs.get('task_emb')!.values, emb.data)).toBeLessThanOrEqual(1e-6);
      for (const row of [0, 1]) {
        const ours = rowAdapter(outputs, row);
        for (const m of MODULES) {
          expect(
            relativeError(ours.modules[m]!.loraA, want[row]!.modules[m]!.loraA),
          ).toBeLessThanOrEqual(1e-4);
          expect(
            relativeError(ours.modules[m]!.loraB, want[row]!.modules[m]!.loraB),
          ).toBeLessThanOrEqual(1e-4);
        }
      }
    }
  });

  it('a description request asking only for task_emb returns just the embedding', async () => {
    const res = await postJson(`${srv.url}/v2/models/L-pkg/infer`, {
      inputs: [
        { name: 'description', shape: [1], datatype: 'BYTES', data: ['Summarize news articles'] },
      ],
      outputs: [{ name: 'task_emb' }],
    });
    const { outputs } = await readInferResponse(res);
    expect([...outputs.keys()]).toEqual(['task_emb']);
    const v = outputs.get('task_emb')!.values;
    // Rows are L2-normalized times sqrt(E).
    expect(Math.sqrt(v.reduce((s, x) => s + x * x, 0))).toBeCloseTo(Math.sqrt(E), 3);
  });

  it('logs one JSON line per request with method, path, status, ms and model', async () => {
    await fetch(`${srv.url}/v2/models/L-pkg`);
    const line = srv.logs
      .filter((l) => l['msg'] === 'request' && l['path'] === '/v2/models/L-pkg')
      .at(-1);
    expect(line).toMatchObject({
      method: 'GET',
      path: '/v2/models/L-pkg',
      status: 200,
      model: 'L-pkg',
    });
    expect(typeof line!['ms']).toBe('number');
    expect(JSON.parse(JSON.stringify(line))).toEqual(line);
  });
});

describe('start-up', () => {
  it('says when the port is taken', async () => {
    const { startServer } = await import('../../src/server/server');
    await expect(
      startServer({ modelsDir: fx.modelsDir, port: srv.server.port, log: () => {} }),
    ).rejects.toThrow(/127\.0\.0\.1:\d+ is in use; choose another with --port/);
  });
});

describe('backend', () => {
  it('--backend cuda falls back to the CPU where the CUDA provider is not installed, and says so', async () => {
    const cuda = await serve({ modelsDir: fx.modelsDir, backend: 'cuda' });
    try {
      const m = cuda.server.models.get('L-pkg')!;
      expect(m.state).toBe('READY');
      if (m.runner!.backend === 'cuda') return; // a machine with the CUDA provider: nothing to fall back from
      expect(
        cuda.logs.some(
          (l) =>
            l['level'] === 'warn' && /cuda is not available, running on cpu/.test(String(l['msg'])),
        ),
      ).toBe(true);
      const config = await (await fetch(`${cuda.url}/v2/models/L-pkg/config`)).json();
      expect(config.instance_group).toEqual([{ kind: 'KIND_CPU', count: 1 }]);
    } finally {
      await cuda.server.close();
    }
  });
});
