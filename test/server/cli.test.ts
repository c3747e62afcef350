/** `t2l serve` as a real process: starts, answers, stops on SIGTERM; startup errors. */
import { mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { t2l } from '../support/t2l-cli';
import { spawnServe } from '../support/t2l-serve';
import { E, L_SFT_DIR, makeFixture, postJson, type Fixture } from './helpers';

let fx: Fixture;
beforeAll(async () => {
  fx = await makeFixture();
});
afterAll(() => fx?.cleanup());

describe('t2l serve (process)', () => {
  it('serves on a free port with token and CORS, logs JSON lines, and stops cleanly on SIGTERM', async () => {
    const srv = await spawnServe([
      fx.modelsDir,
      '--encoder',
      fx.encoderDir,
      '--token',
      'tok',
      '--cors-origin',
      'http://localhost:5199',
      '--max-batch',
      '2',
    ]);
    try {
      expect(srv.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const auth = { Authorization: 'Bearer tok' };
      const res = await postJson(
        `${srv.url}/v2/models/L-sft/infer`,
        {
          inputs: [{ name: 'description', shape: [1], datatype: 'BYTES', data: ['Summarize'] }],
          outputs: [{ name: 'task_emb' }],
        },
        auth,
      );
      expect(res.status).toBe(200);
      expect((await res.json()).outputs[0].shape).toEqual([1, E]);
      const tooMany = await postJson(
        `${srv.url}/v2/models/L-sft/infer`,
        { inputs: [{ name: 'description', shape: [3], datatype: 'BYTES', data: ['a', 'b', 'c'] }] },
        auth,
      );
      expect(tooMany.status).toBe(400);
      expect((await fetch(`${srv.url}/v2`)).status).toBe(401);
    } finally {
      expect(await srv.stop()).toBe(0);
    }
    const lines = srv.stderr.filter(Boolean).map((l) => JSON.parse(l));
    expect(
      lines.find((l) => l.msg === 'request' && l.path === '/v2/models/L-sft/infer'),
    ).toMatchObject({
      method: 'POST',
      status: 200,
      model: 'L-sft',
    });
    expect(lines.at(-1).msg).toBe('stopped');
    // The launcher re-executes the server with glibc's allocator kept from mmap (batches' outputs
    // reuse freed memory), and SIGTERM reached the server through it: it finished and said so.
    expect(lines.find((l) => l.msg === 'listening')).toMatchObject({
      allocator: { MALLOC_MMAP_MAX_: '0', MALLOC_TRIM_THRESHOLD_: '4000000000' },
    });
    expect(JSON.stringify(lines)).not.toContain('tok"');
  });

  it('refuses to start without models, with clashing names, or with bad options', async () => {
    const dup = join(fx.root, 'dup');
    await mkdir(join(dup, 'a'), { recursive: true });
    await mkdir(join(dup, 'b'), { recursive: true });
    await symlink(L_SFT_DIR, join(dup, 'a', 'L-sft'));
    await symlink(L_SFT_DIR, join(dup, 'b', 'L-sft'));
    const [missing, empty, clash, port] = await Promise.all([
      t2l(['serve', join(fx.root, 'nope')]),
      t2l(['serve', fx.encoderDir]),
      t2l(['serve', dup]),
      t2l(['serve', fx.modelsDir, '--port', 'http']),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope: no such folder/);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/no model folder found/);
    expect(clash.code).toBe(1);
    expect(clash.stderr).toMatch(/two models would be named "L-sft"/);
    expect(port.code).toBe(1);
    expect(port.stderr).toMatch(/--port must be a whole number/);
  });
});
