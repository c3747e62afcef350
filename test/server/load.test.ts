/** The bounded queue (503 + Retry-After), deadlines, graceful shutdown, and a bounded load test. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GeneratedAdapter } from '../../src/core/generate';
import {
  activeResources,
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
} from './helpers';

let fx: Fixture;
let local: GeneratedAdapter[];

beforeAll(async () => {
  fx = await makeFixture();
  local = await localAdapters(fx.model, fx.taskEmb);
});
afterAll(() => fx?.cleanup());

/** A hook that holds every inference until released, and says when one is waiting on it. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  let entered = 0;
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  return {
    hook: async () => {
      entered++;
      for (const w of waiters.filter((w) => entered >= w.n)) w.resolve();
      await opened;
    },
    /** Resolves once `n` inferences have started. */
    started: (n = 1) =>
      entered >= n
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiters.push({ n, resolve })),
    open: () => open(),
  };
}

const inferBody = (row: number) => ({
  inputs: [
    {
      name: 'task_emb',
      shape: [1, E],
      datatype: 'FP32',
      data: Array.from(fx.taskEmb.subarray(row * E, (row + 1) * E)),
    },
  ],
});

async function expectRow(res: Response, row: number) {
  expect(res.status).toBe(200);
  const { outputs } = await readInferResponse(res);
  const want = local[row]!.modules;
  expect(
    relativeError(outputs.get('q_proj.lora_A')!.values, want['q_proj']!.loraA),
  ).toBeLessThanOrEqual(1e-4);
  expect(
    relativeError(outputs.get('v_proj.lora_B')!.values, want['v_proj']!.loraB),
  ).toBeLessThanOrEqual(1e-4);
}

describe('bounded queue', () => {
  it('answers 503 with Retry-After when the queue is full, and serves the rest', async () => {
    const g = gate();
    const { server, url } = await serve({
      modelsDir: fx.modelsDir,
      concurrency: 1,
      queue: 1,
      beforeInference: g.hook,
    });
    try {
      const infer = `${url}/v2/models/L-pkg/infer`;
      const running = postJson(infer, inferBody(0));
      await g.started(1);
      const waiting = postJson(infer, inferBody(1));
      // Until the second request is in the queue: a condition, not a guess at how long it takes.
      while (server.queueLoad().waiting < 1) await new Promise((r) => setImmediate(r));
      expect(server.queueLoad()).toEqual({ running: 1, waiting: 1 });
      const refused = await postJson(infer, inferBody(2));
      expect(refused.status).toBe(503);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await refused.json()).error).toMatch(/busy/);
      // /v1/adapters shares the queue.
      const refusedToo = await postJson(`${url}/v1/adapters`, {
        model: 'L-pkg',
        task_emb: Array.from(fx.taskEmb.subarray(0, E)),
      });
      expect(refusedToo.status).toBe(503);
      expect(refusedToo.headers.get('retry-after')).not.toBeNull();
      g.open();
      await expectRow(await running, 0);
      await expectRow(await waiting, 1);
    } finally {
      g.open();
      await server.close();
    }
  });

  it('answers 503 + Retry-After past the deadline while queued, and 504 while running', async () => {
    const g = gate();
    const { server, url } = await serve({
      modelsDir: fx.modelsDir,
      concurrency: 1,
      queue: 4,
      timeoutMs: 300,
      beforeInference: g.hook,
    });
    try {
      const infer = `${url}/v2/models/L-pkg/infer`;
      const running = postJson(infer, inferBody(0));
      await g.started(1);
      const queued = postJson(infer, inferBody(1));
      const [r1, r2] = await Promise.all([running, queued]);
      expect(r1.status).toBe(504);
      expect((await r1.json()).error).toMatch(/did not finish within 300 ms/);
      expect(r2.status).toBe(503);
      expect(r2.headers.get('retry-after')).not.toBeNull();
      expect((await r2.json()).error).toMatch(/waited 300 ms/);
    } finally {
      g.open();
      await server.close();
    }
  });
});

describe('dynamic batching', () => {
  it('merges requests that arrive while the model is busy into one run, each gets its rows', async () => {
    const g = gate();
    const { server, url } = await serve({
      modelsDir: fx.modelsDir,
      concurrency: 8,
      beforeInference: g.hook,
    });
    try {
      const infer = `${url}/v2/models/L-pkg/infer`;
      // Four requests (1, 2, 1 and 3 rows) held at the gate, then let go together.
      const rows = [[0], [1, 2], [2], [0, 1, 2]];
      const pending = rows.map((r) =>
        postBinary(
          infer,
          {
            inputs: [
              {
                name: 'task_emb',
                shape: [r.length, E],
                datatype: 'FP32',
                parameters: { binary_data_size: r.length * E * 4 },
              },
            ],
            outputs: [
              { name: 'q_proj.lora_A', parameters: { binary_data: true } },
              { name: 'v_proj.lora_B' },
            ],
          },
          [
            f32Buffer(
              Float32Array.from(
                r.flatMap((i) => Array.from(fx.taskEmb.subarray(i * E, (i + 1) * E))),
              ),
            ),
          ],
        ),
      );
      await g.started(4);
      g.open();
      for (const [k, res] of (await Promise.all(pending)).entries()) {
        expect(res.status).toBe(200);
        const { outputs } = await readInferResponse(res);
        const A = outputs.get('q_proj.lora_A')!;
        const B = outputs.get('v_proj.lora_B')!;
        expect(A.shape[0]).toBe(rows[k]!.length);
        const a = A.values.length / rows[k]!.length;
        const b = B.values.length / rows[k]!.length;
        rows[k]!.forEach((row, i) => {
          const want = local[row]!.modules;
          expect(
            relativeError(A.values.subarray(i * a, (i + 1) * a), want['q_proj']!.loraA),
          ).toBeLessThanOrEqual(1e-4);
          expect(
            relativeError(B.values.subarray(i * b, (i + 1) * b), want['v_proj']!.loraB),
          ).toBeLessThanOrEqual(1e-4);
        });
      }
      // The first request ran alone; the others, which came while it ran, ran together.
      const sizes = server.models.get('L-pkg')!.batcher!.runSizes;
      expect(sizes.reduce((x, y) => x + y, 0)).toBe(7);
      expect(sizes.length).toBeLessThan(4);
    } finally {
      g.open();
      await server.close();
    }
  });
});

describe('graceful shutdown', () => {
  it('finishes in-flight work, refuses new connections, then closes', async () => {
    const g = gate();
    const { server, url, logs } = await serve({ modelsDir: fx.modelsDir, beforeInference: g.hook });
    const inflight = postBinary(
      `${url}/v2/models/L-sft/infer`,
      {
        inputs: [
          {
            name: 'task_emb',
            shape: [1, E],
            datatype: 'FP32',
            parameters: { binary_data_size: 4 * E },
          },
        ],
      },
      [f32Buffer(fx.taskEmb.subarray(2 * E, 3 * E))],
    );
    await g.started(1);
    let closed = false;
    const closing = server.close().then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(closed).toBe(false);
    await expect(fetch(`${url}/v2/health/live`)).rejects.toThrow();
    g.open();
    await expectRow(await inflight, 2);
    await closing;
    expect(logs.at(-1)).toMatchObject({ msg: 'stopped' });
  });
});

describe('bounded load', () => {
  it('200 requests, 16 at a time: each answered correctly or 503; no crash, no leaked handles', async () => {
    const before = activeResources();
    const { server, url } = await serve({ modelsDir: fx.modelsDir, queue: 12 });
    const infer = `${url}/v2/models/L-pkg/infer`;
    let next = 0;
    const counts = { ok: 0, busy: 0 };
    const worker = async () => {
      while (next < 200) {
        const i = next++;
        const row = i % 3;
        const res =
          i % 2 === 0
            ? await postJson(infer, inferBody(row))
            : await postBinary(
                infer,
                {
                  inputs: [
                    {
                      name: 'task_emb',
                      shape: [1, E],
                      datatype: 'FP32',
                      parameters: { binary_data_size: 4 * E },
                    },
                  ],
                  outputs: ['q_proj.lora_A', 'v_proj.lora_B'].map((name) => ({
                    name,
                    parameters: { binary_data: true },
                  })),
                },
                [f32Buffer(fx.taskEmb.subarray(row * E, (row + 1) * E))],
              );
        if (res.status === 503) {
          expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
          await res.arrayBuffer();
          counts.busy++;
        } else {
          await expectRow(res, row);
          counts.ok++;
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    expect(counts.ok + counts.busy).toBe(200);
    expect(counts.ok).toBeGreaterThan(0);
    // Still alive and well after the storm.
    expect((await fetch(`${url}/v2/health/ready`)).status).toBe(200);
    await server.close();

    // The server's listening socket, its connections (and the client's ends of them) and timers
    // are all gone; the client side closes its sockets once it sees the server's FIN.
    const settled = async () => {
      for (let i = 0; i < 50; i++) {
        const now = activeResources();
        const grew = ['TCPServerWrap', 'TCPSocketWrap', 'Timeout'].filter(
          (k) => (now[k] ?? 0) > (before[k] ?? 0),
        );
        if (grew.length === 0) return now;
        await new Promise((r) => setTimeout(r, 20));
      }
      return activeResources();
    };
    const after = await settled();
    for (const k of ['TCPServerWrap', 'TCPSocketWrap', 'Timeout']) {
      expect(after[k] ?? 0, k).toBeLessThanOrEqual(before[k] ?? 0);
    }
  });
});
