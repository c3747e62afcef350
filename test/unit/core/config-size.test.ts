/**
 * A 50 MB t2l.json used to be accepted: its giant strings went into every file written from it
 * (a 400 MB README.md) and the process passed 2 GB. Configuration files are refused over 1 MiB.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_CONFIG_BYTES, memorySource } from '../../../src/core/files';
import { openModel } from '../../../src/core/package/model';
import { refusal } from '../../support/refusal';

const DEMO = join(import.meta.dirname, '..', '..', '..', 'models', 'demo');
const folder = (dir: string) =>
  Object.fromEntries(readdirSync(dir).map((n) => [n, new Uint8Array(readFileSync(join(dir, n)))]));

/** The file's JSON with one string field grown past the limit (still valid JSON). */
function grown(bytes: Uint8Array, key: string): string {
  const json = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  json[key] = 'x'.repeat(MAX_CONFIG_BYTES);
  return JSON.stringify(json);
}

describe('configuration files over 1 MiB are refused, naming the file and both sizes', () => {
  it("a package's t2l.json", async () => {
    const files = folder(join(DEMO, 'packages', 'M'));
    const big = grown(files['t2l.json']!, 'baseModel');
    const e = await refusal(openModel(memorySource('pkg', { ...files, 't2l.json': big })));
    expect(e.code).toBe('bad-config');
    expect(e.message).toMatch(
      new RegExp(`^pkg/t2l\\.json: ${big.length} bytes, expected .* at most ${MAX_CONFIG_BYTES}`),
    );
  });

  it("a checkpoint's adapter_config.json and args.yaml", async () => {
    const files = folder(join(DEMO, 'checkpoints', 'M'));
    const config = grown(files['adapter_config.json']!, 'base_model_name_or_path');
    const e = await refusal(
      openModel(memorySource('ckpt', { ...files, 'adapter_config.json': config })),
    );
    expect(e.message).toMatch(/^ckpt\/adapter_config\.json: \d+ bytes, expected/);
    const yaml =
      new TextDecoder().decode(files['args.yaml']!) + `# ${'x'.repeat(MAX_CONFIG_BYTES)}\n`;
    const y = await refusal(openModel(memorySource('ckpt', { ...files, 'args.yaml': yaml })));
    expect(y.message).toMatch(/^ckpt\/args\.yaml: \d+ bytes, expected/);
  });
});
