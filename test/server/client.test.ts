/** The fetch-based OIP client (src/core/remote/oip-client.ts) against a real t2l serve. */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTextEncoder } from '../../src/core/encoder/text-encoder';
import { generateAdapters, type GeneratedAdapter } from '../../src/core/generate';
import {
  createRemoteRunner,
  remoteEmbed,
  remoteModelInfo,
  RemoteError,
} from '../../src/core/remote/oip-client';
import {
  E,
  localAdapters,
  makeFixture,
  relativeError,
  serve,
  type Fixture,
  type Running,
} from './helpers';

let fx: Fixture;
let srv: Running;
let local: GeneratedAdapter[];
const TOKEN = 'client-token';

beforeAll(async () => {
  fx = await makeFixture();
  srv = await serve({ modelsDir: fx.modelsDir, encoder: fx.encoderDir, token: TOKEN });
  local = await localAdapters(fx.model, fx.taskEmb);
});
afterAll(async () => {
  await srv?.server.close();
  await fx?.cleanup();
});

function expectSame(ours: GeneratedAdapter[], want: GeneratedAdapter[]) {
  expect(ours).toHaveLength(want.length);
  ours.forEach((a, i) => {
    for (const [m, w] of Object.entries(want[i]!.modules)) {
      const o = a.modules[m]!;
      expect({ ...o, loraA: 0, loraB: 0 }).toEqual({ ...w, loraA: 0, loraB: 0 });
      expect(relativeError(o.loraA, w.loraA)).toBeLessThanOrEqual(1e-4);
      expect(relativeError(o.loraB, w.loraB)).toBeLessThanOrEqual(1e-4);
    }
  });
}

describe('remote client', () => {
  it('remoteModelInfo reads the tensors, the module sizes and the published manifest', async () => {
    const info = await remoteModelInfo(srv.url, 'L-sft', { token: TOKEN });
    expect(info).toMatchObject({
      name: 'L-sft',
      platform: 'onnxruntime_onnx',
      versions: ['1'],
      taskEmbSize: E,
      acceptsDescription: true,
      maxBatchSize: 16,
      backend: 'cpu',
      modules: [
        { name: 'q_proj', layers: 3, rank: 8, inFeatures: 48, outFeatures: 40 },
        { name: 'v_proj', layers: 3, rank: 8, inFeatures: 48, outFeatures: 16 },
      ],
    });
    // Converted on the fly from the folder the server found (a symlink here): only the source differs.
    expect({ ...info.manifest, source: '' }).toEqual({ ...fx.model.manifest, source: '' });
    expect(info.manifest!.source).toMatch(/L-sft$/);
  });

  it('createRemoteRunner + generateAdapters equals local generation', async () => {
    const runner = await createRemoteRunner(`${srv.url}/`, 'L-pkg', { token: TOKEN });
    expect(runner.inputNames).toEqual(['task_emb']);
    expect(runner.outputNames).toEqual([
      'q_proj.lora_A',
      'q_proj.lora_B',
      'v_proj.lora_A',
      'v_proj.lora_B',
    ]);
    const adapters = await generateAdapters(runner.info.manifest!, runner, {
      dims: [3, E],
      data: fx.taskEmb,
    });
    expectSame(adapters, local);
    await runner.release();
  });

  it('remoteEmbed + the remote runner equals the local encoder + local generation', async () => {
    const descriptions = ['Write SQL queries from questions', 'Classify movie reviews'];
    const enc = await createTextEncoder({ localPath: fx.encoderDir });
    const want = await enc.embed(descriptions);
    await enc.dispose();
    const emb = await remoteEmbed(srv.url, 'L-sft', descriptions, { token: TOKEN });
    expect(emb.dims).toEqual([2, E]);
    expect(relativeError(emb.data, want.data)).toBeLessThanOrEqual(1e-6);
    const runner = await createRemoteRunner(srv.url, 'L-sft', { token: TOKEN, version: '1' });
    expectSame(
      await generateAdapters(fx.model.manifest, runner, emb),
      await localAdapters(fx.model, want.data),
    );
  });

  it('works behind a proxy that hides Inference-Header-Content-Length and the model config', async () => {
    const proxy: typeof fetch = async (input, init) => {
      const url = String(input);
      if (url.endsWith('/config')) return new Response('{"error":"not found"}', { status: 404 });
      const res = await fetch(input, init);
      const headers = new Headers(res.headers);
      headers.delete('inference-header-content-length');
      return new Response(await res.arrayBuffer(), { status: res.status, headers });
    };
    const runner = await createRemoteRunner(srv.url, 'L-sft', { token: TOKEN, fetch: proxy });
    expect(runner.info.manifest).toBeUndefined();
    const adapters = await generateAdapters(fx.model.manifest, runner, {
      dims: [1, E],
      data: fx.taskEmb.subarray(E, 2 * E),
    });
    expectSame(adapters, [local[1]!]);
  });

  it('turns HTTP errors into RemoteError with status, message and Retry-After', async () => {
    const err = await remoteModelInfo(srv.url, 'L-sft').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect((err as RemoteError).status).toBe(401);
    expect((err as RemoteError).message).toMatch(/HTTP 401: this server needs a token/);

    const missing = await remoteModelInfo(srv.url, 'nope', { token: TOKEN }).catch(
      (e: unknown) => e,
    );
    expect((missing as RemoteError).status).toBe(404);

    const runner = await createRemoteRunner(srv.url, 'L-sft', { token: TOKEN });
    const bad = await runner
      .run({ task_emb: { dims: [1, 3], data: new Float32Array(3) } })
      .catch((e: unknown) => e);
    expect((bad as RemoteError).status).toBe(400);
    expect((bad as RemoteError).code).toBe('bad-input');
    expect((bad as RemoteError).message).toMatch(/shape \[1, 3\] does not fit \[-1, 1024\]/);

    const busy: typeof fetch = async () =>
      new Response('{"error":"the server is busy: its queue is full"}', {
        status: 503,
        headers: { 'Retry-After': '3' },
      });
    const e503 = await remoteEmbed(srv.url, 'L-sft', ['x'], { fetch: busy }).catch(
      (e: unknown) => e,
    );
    expect((e503 as RemoteError).status).toBe(503);
    expect((e503 as RemoteError).retryAfterS).toBe(3);

    const down = await remoteModelInfo('http://127.0.0.1:9', 'L-sft').catch((e: unknown) => e);
    expect((down as RemoteError).message).toMatch(/could not connect/);
    expect((down as RemoteError).message).not.toMatch(/local network/);
  });

  it('a page on a public origin that cannot reach a loopback server is told about Local Network Access', async () => {
    vi.stubGlobal('location', { hostname: 't2l.example.org' });
    try {
      const down = await remoteModelInfo('http://127.0.0.1:9', 'L-sft').catch((e: unknown) => e);
      expect((down as RemoteError).message).toMatch(/allow it .*"Local network access"/);
      const lan = await remoteModelInfo('http://192.168.0.1:9', 'L-sft', {
        fetch: () => Promise.reject(new TypeError('Failed to fetch')),
      }).catch((e: unknown) => e);
      expect((lan as RemoteError).message).toMatch(/local network/);
      const remote = await remoteModelInfo('https://t2l.example.net', 'L-sft', {
        fetch: () => Promise.reject(new TypeError('Failed to fetch')),
      }).catch((e: unknown) => e);
      expect((remote as RemoteError).message).not.toMatch(/local network/);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
