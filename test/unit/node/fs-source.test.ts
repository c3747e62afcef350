/** The Node file source follows links only where they stay inside the folder. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readPackage } from '../../../src/core/package/model';
import { dirSource } from '../../../src/node/fs-source';
import { refusal } from '../../support/refusal';

const tmp = mkdtempSync(join(tmpdir(), 't2l-links-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const DEMO = join(import.meta.dirname, '../../../models/demo/packages/S');

describe('dirSource and links', () => {
  const outside = join(tmp, 'outside.onnx');
  writeFileSync(outside, readFileSync(join(DEMO, 'model.onnx')));

  it("a package whose model.onnx links outside the folder is refused, naming the link's target", async () => {
    const pkg = join(tmp, 'pkg');
    mkdirSync(pkg);
    writeFileSync(join(pkg, 't2l.json'), readFileSync(join(DEMO, 't2l.json')));
    symlinkSync(outside, join(pkg, 'model.onnx'));
    const e = await refusal(readPackage(dirSource(pkg)));
    expect(e.code).toBe('bad-input');
    expect(e.message).toBe(
      `${pkg}/model.onnx: is a link to ${outside}, outside the folder ${pkg}; copy the file into the folder`,
    );
    // A relative link climbing out is the same.
    rmSync(join(pkg, 'model.onnx'));
    symlinkSync('../outside.onnx', join(pkg, 'model.onnx'));
    expect((await refusal(readPackage(dirSource(pkg)))).message).toContain('outside the folder');
  });

  it('a link that stays inside the folder, and a folder reached through a link, are read', async () => {
    const pkg = join(tmp, 'inside');
    mkdirSync(join(pkg, 'weights'), { recursive: true });
    writeFileSync(join(pkg, 't2l.json'), readFileSync(join(DEMO, 't2l.json')));
    writeFileSync(join(pkg, 'weights', 'g.onnx'), readFileSync(join(DEMO, 'model.onnx')));
    symlinkSync('weights/g.onnx', join(pkg, 'model.onnx'));
    const viaLink = join(tmp, 'pkg-link');
    symlinkSync(pkg, viaLink);
    for (const dir of [pkg, viaLink]) {
      const model = await readPackage(dirSource(dir));
      expect(model.graph).toEqual(new Uint8Array(readFileSync(join(DEMO, 'model.onnx'))));
    }
  });

  it("a Hugging Face cache snapshot's links into its blobs folder are read, others are not", async () => {
    const repo = join(tmp, 'models--org--t2l');
    const snap = join(repo, 'snapshots', 'abc123');
    mkdirSync(snap, { recursive: true });
    mkdirSync(join(repo, 'blobs'));
    writeFileSync(join(repo, 'blobs', 'sha-json'), readFileSync(join(DEMO, 't2l.json')));
    writeFileSync(join(repo, 'blobs', 'sha-onnx'), readFileSync(join(DEMO, 'model.onnx')));
    symlinkSync('../../blobs/sha-json', join(snap, 't2l.json'));
    symlinkSync('../../blobs/sha-onnx', join(snap, 'model.onnx'));
    expect((await readPackage(dirSource(snap))).manifest.graph).toBe('model.onnx');
    writeFileSync(join(repo, 'elsewhere.onnx'), 'x');
    rmSync(join(snap, 'model.onnx'));
    symlinkSync('../../elsewhere.onnx', join(snap, 'model.onnx'));
    expect((await refusal(readPackage(dirSource(snap)))).message).toContain('outside the folder');
  });
});
