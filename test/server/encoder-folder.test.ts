/** `t2l serve --encoder` with an incomplete folder: the log names the missing file, not a TypeError. */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeFixture, serve, type Fixture } from './helpers';

let fx: Fixture;
beforeAll(async () => {
  fx = await makeFixture();
});
afterAll(() => fx?.cleanup());

it('an empty --encoder folder is logged as the files it lacks', async () => {
  const empty = join(fx.root, 'empty-encoder');
  await mkdir(empty);
  const running = await serve({ modelsDir: fx.modelsDir, encoder: empty });
  try {
    const entry = running.logs.find((l) => l['msg'] === 'encoder failed to load');
    expect(entry).toBeDefined();
    expect(String(entry!['error'])).toContain(
      `encoder ${empty}: missing config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx`,
    );
    expect(String(entry!['error'])).not.toContain('TypeError');
  } finally {
    await running.server.close();
  }
});
