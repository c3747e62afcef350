import { unzipSync, type UnzipFileInfo } from 'fflate';
import { describe, expect, it } from 'vitest';
import { T2LError } from '../../../src/core/errors';
import { unzipFolder, zipFolder } from '../../../src/core/adapter/zip';

const weights = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) & 0xff);
const config = JSON.stringify({ r: 8, target_modules: ['q_proj', 'v_proj'] }, null, 2).repeat(20);

describe('zipFolder / unzipFolder', () => {
  it('round-trips files inside a folder', () => {
    const zip = zipFolder(
      { 'adapter_config.json': config, 'adapter_model.safetensors': weights },
      { folder: 'my-adapter/' },
    );
    const files = unzipFolder(zip, 'my-adapter.zip');
    expect(Object.keys(files).sort()).toEqual([
      'my-adapter/adapter_config.json',
      'my-adapter/adapter_model.safetensors',
    ]);
    expect(new TextDecoder().decode(files['my-adapter/adapter_config.json'])).toBe(config);
    expect(files['my-adapter/adapter_model.safetensors']).toEqual(weights);
  });

  it('stores .safetensors and deflates text', () => {
    const zip = zipFolder({ 'a.json': config, 'b.safetensors': weights });
    const infos: UnzipFileInfo[] = [];
    unzipSync(zip, { filter: (f) => (infos.push(f), true) });
    const method = Object.fromEntries(infos.map((f) => [f.name, f.compression]));
    expect(method).toEqual({ 'a.json': 8, 'b.safetensors': 0 });
    expect(zip.length).toBeLessThan(weights.length + config.length);
  });

  it('names the archive when it is not a zip', () => {
    for (const garbage of [new Uint8Array(0), new TextEncoder().encode('not a zip at all')]) {
      let error: unknown;
      try {
        unzipFolder(garbage, 'upload.zip');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(T2LError);
      expect((error as T2LError).code).toBe('bad-zip');
      expect((error as T2LError).message).toMatch(/^upload\.zip: not a readable zip archive/);
    }
  });
});
