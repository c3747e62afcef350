import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { t2l } from '../support/t2l-cli';
import { CONFORMANCE_DIR, conformanceExpected } from '../support/conformance';
import { parseSafetensorsIndependently } from '../support/independent-safetensors';
import { cosine } from '../support/compare';

const tmp = mkdtempSync(join(tmpdir(), 't2l-cli-precision-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('t2l convert --precision', () => {
  it('q4: writes the package with its fidelity, inspect shows it, generate stays within the floor', async () => {
    const pkg = join(tmp, 'q4');
    const c = await t2l([
      'convert',
      join(CONFORMANCE_DIR, 'L-sft'),
      '-o',
      pkg,
      '--precision',
      'q4',
    ]);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toMatch(/T2L-L, q4/);
    expect(c.stdout).toMatch(/fidelity: min cosine 0\.99\d+/);

    const manifest = JSON.parse(readFileSync(join(pkg, 't2l.json'), 'utf8'));
    expect(manifest.precision).toBe('q4');
    expect(manifest.weights.blockSize).toBe(32);
    expect(manifest.fidelity.minCosine).toBeGreaterThanOrEqual(0.99);

    const i = await t2l(['inspect', pkg]);
    expect(i.stdout).toMatch(/precision\s+q4: \d+ fp32, 2 q4 \(blocks of 32\) matrices/);
    expect(i.stdout).toMatch(/fidelity\s+min cosine 0\.99/);
    const json = JSON.parse((await t2l(['inspect', pkg, '--json'])).stdout);
    expect(json.fidelity.minCosine).toBe(manifest.fidelity.minCosine);

    const out = join(tmp, 'out');
    const g = await t2l([
      'generate',
      pkg,
      '--embedding',
      join(CONFORMANCE_DIR, 'L-sft', 'inputs.safetensors'),
      '-o',
      out,
    ]);
    expect(g.code, g.stderr).toBe(0);
    for (const row of [0, 1, 2]) {
      const bytes = new Uint8Array(
        readFileSync(join(out, String(row), 'adapter_model.safetensors')),
      );
      const { tensors } = parseSafetensorsIndependently(bytes);
      for (const [key, e] of conformanceExpected('L-sft', row)) {
        expect(cosine(tensors.get(key)!.values, e.data), key).toBeGreaterThanOrEqual(0.99);
      }
    }
  });

  it('--no-fidelity skips the measurement; a bad precision is refused', async () => {
    const pkg = join(tmp, 'int8');
    const c = await t2l([
      'convert',
      join(CONFORMANCE_DIR, 'M-sft'),
      '-o',
      pkg,
      '--precision',
      'int8',
      '--no-fidelity',
    ]);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toMatch(/fidelity: not measured/);
    expect(JSON.parse(readFileSync(join(pkg, 't2l.json'), 'utf8')).fidelity).toBeUndefined();
    const bad = await t2l([
      'convert',
      join(CONFORMANCE_DIR, 'M-sft'),
      '-o',
      pkg,
      '--precision',
      'q3',
    ]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/q3/);
  });
});
