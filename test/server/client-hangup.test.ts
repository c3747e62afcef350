/** A client that hangs up mid-body is a client event in the log (info, no stack), not an error. */
import { connect } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeFixture, serve, type Fixture, type Running } from './helpers';

let fx: Fixture;
let srv: Running;
beforeAll(async () => {
  fx = await makeFixture();
  srv = await serve({ modelsDir: fx.modelsDir });
});
afterAll(async () => {
  await srv?.server.close();
  await fx?.cleanup();
});

it('logs a client hanging up mid-body as info without a stack, and keeps serving', async () => {
  const { port } = new URL(srv.url);
  await new Promise<void>((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => {
      socket.write(
        'POST /v2/models/L-pkg/infer HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
          'Content-Length: 100000\r\n\r\n{"inputs": [{"name": "task_emb", "data": [',
      );
      setTimeout(() => {
        socket.destroy();
        resolve();
      }, 200);
    });
    socket.on('error', reject);
  });
  for (let i = 0; i < 100 && !srv.logs.some((l) => l['msg'] === 'request'); i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  const event = srv.logs.find((l) => l['msg'] === 'client closed the connection mid-body');
  expect(event).toMatchObject({ level: 'info' });
  expect(srv.logs.filter((l) => l['level'] === 'error')).toEqual([]);
  expect(JSON.stringify(srv.logs)).not.toMatch(/\n\s+at /);
  const health = await fetch(`${srv.url}/v2/health/ready`);
  expect(health.status).toBe(200);
});
