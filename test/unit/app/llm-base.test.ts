/** Base models as catalog data, the user's own GGUF locations, and the device fit estimate. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { baseFromInput, catalogBases, toBaseSource } from '../../../src/app/shared/llm/base-models';
import { parseCatalog } from '../../../src/app/shared/catalog';
import {
  estimateFit,
  refuseUnfitBase,
  WASM64_LIMIT,
  type DeviceFacts,
} from '../../../src/app/shared/llm/llm-fit';

const GB = 1e9;
const GiB = 2 ** 30;
const catalog = () =>
  parseCatalog(
    JSON.parse(readFileSync(join(import.meta.dirname, '../../../models/catalog.json'), 'utf8')),
  );

beforeEach(() => vi.stubGlobal('location', new URL('http://localhost:5173/')));
afterEach(() => vi.unstubAllGlobals());

describe('base models in the catalog', () => {
  it('every entry names its base GGUF; the three official ones on the Hub with sizes', () => {
    const { models } = catalog();
    for (const m of models) expect(m.baseGguf, m.id).toBeDefined();
    const byId = Object.fromEntries(models.map((m) => [m.id, m.baseGguf!]));
    expect(byId['gemma-2-2b-t2l']).toMatchObject({ file: 'gemma-2-2b-it-Q4_K_M.gguf' });
    expect(byId['gemma-2-2b-t2l']!.size).toBeGreaterThan(1.5 * GB);
    expect(byId['gemma-2-2b-t2l']!.size).toBeLessThan(1.9 * GB);
    for (const id of ['mistral-7b-t2l', 'llama-3.1-8b-t2l']) {
      expect(byId[id]!.hub).toMatch(/^[\w.-]+\/[\w.-]+-GGUF$/);
      expect(byId[id]!.note).toMatch(/needs a large machine/i);
    }
    expect(byId['demo-L']!.url).toBe('models/demo/base/tiny-llama.gguf');
  });

  it('lists one choice per file, the result’s own base first, with Hub URLs at the revision', () => {
    const { models } = catalog();
    const gemma = models.find((m) => m.id === 'gemma-2-2b-t2l')!;
    const bases = catalogBases(models, gemma);
    expect(bases[0]!.source).toEqual({
      kind: 'url',
      url: 'https://huggingface.co/bartowski/gemma-2-2b-it-GGUF/resolve/main/gemma-2-2b-it-Q4_K_M.gguf',
      name: 'gemma-2-2b-it-Q4_K_M.gguf',
    });
    // The four demo entries share one base file.
    expect(bases.filter((b) => b.label.includes('demo'))).toHaveLength(1);
    expect(bases.find((b) => b.label.includes('demo'))!.id).toBe(
      'http://localhost:5173/models/demo/base/tiny-llama.gguf',
    );
  });

  it('refuses a baseGguf without a size or a location, naming the entry', () => {
    const bad = (baseGguf: unknown) => () =>
      parseCatalog({
        models: [
          {
            id: 'x',
            name: 'X',
            baseModel: 'a/b',
            source: { kind: 'package', url: 'x/' },
            baseGguf,
          },
        ],
      });
    expect(bad({ hub: 'a/b', file: 'm.gguf' })).toThrow(/models\[0\]\.baseGguf\.size/);
    expect(bad({ size: 10 })).toThrow(/models\[0\]\.baseGguf needs url, or hub \+ file/);
    expect(bad({ hub: 'a/b', file: 'm.bin', size: 10 })).toThrow(/\.gguf/);
  });
});

describe('your own GGUF', () => {
  it('reads a Hub path (with a revision) or a URL, and refuses what is not a .gguf', () => {
    expect(baseFromInput('bartowski/gemma-2-2b-it-GGUF@abc123/gemma-2-2b-it-Q8_0.gguf').id).toBe(
      'https://huggingface.co/bartowski/gemma-2-2b-it-GGUF/resolve/abc123/gemma-2-2b-it-Q8_0.gguf',
    );
    expect(baseFromInput('https://example.org/m/model.gguf').source).toMatchObject({
      url: 'https://example.org/m/model.gguf',
      name: 'model.gguf',
    });
    expect(() => baseFromInput('owner/repo')).toThrow(/owner\/repo\/file\.gguf/);
    expect(() => baseFromInput('https://example.org/model.bin')).toThrow(/expected a \.gguf/);
  });

  it('sends the Hugging Face token to the Hub only', () => {
    const hub = baseFromInput('a/b/m.gguf');
    expect(toBaseSource(hub, 'hf_secret')).toMatchObject({ hfToken: 'hf_secret' });
    const other = baseFromInput('https://example.org/m.gguf');
    expect(toBaseSource(other, 'hf_secret')).not.toHaveProperty('hfToken');
  });
});

describe('will it fit', () => {
  const facts = (over: Partial<DeviceFacts> = {}): DeviceFacts => ({
    deviceMemoryGiB: 8,
    storageQuota: 100 * GB,
    storageUsage: 0,
    cached: false,
    wasmLimit: WASM64_LIMIT,
    ...over,
  });

  it('takes Gemma-2-2B Q4 on a device that reports 8 GB, refuses the 8B model', () => {
    expect(estimateFit(1.71 * GB, facts()).ok).toBe(true);
    const llama = estimateFit(4.92 * GB, facts());
    expect(llama.ok).toBe(false);
    expect(llama.problems.join(' ')).toMatch(/reports 8 GB \(or more.*larger machine/);
    // Memory while loading ≈ twice the file plus the KV cache and buffers.
    expect(llama.needBytes).toBeGreaterThan(2 * 4.92 * GB);
  });

  it('refuses the demo base only on an absurdly small device; unknown memory is no refusal', () => {
    expect(estimateFit(1_146_496, facts({ deviceMemoryGiB: 0.25 })).ok).toBe(true);
    expect(estimateFit(1.71 * GB, facts({ deviceMemoryGiB: 2 })).ok).toBe(false);
    expect(estimateFit(4.92 * GB, facts({ deviceMemoryGiB: null })).ok).toBe(true);
  });

  it('takes a base that needs exactly WebAssembly’s limit, refuses one byte more', () => {
    // Inside wasm (llm-fit.ts): the file + the KV cache + 128 MiB of buffers. An 8 GiB file is
    // past 4.4 GiB, so its KV cache is the 7-8B figure, 128 KiB per token: 128 MiB at 1024 tokens.
    const MiB = 2 ** 20;
    const bytes = 8 * GiB;
    const need = bytes + 128 * MiB + 128 * MiB;
    const at = estimateFit(bytes, facts({ deviceMemoryGiB: null, wasmLimit: need }), 1024);
    expect(at.problems).toEqual([]);
    expect(at.ok).toBe(true);
    const over = estimateFit(bytes, facts({ deviceMemoryGiB: null, wasmLimit: need - 1 }), 1024);
    expect(over.ok).toBe(false);
    expect(over.problems.join(' ')).toMatch(/inside WebAssembly, more than its limit/);
  });

  it('refuses what exceeds WebAssembly’s memory, and notes storage that cannot cache it', () => {
    const huge = estimateFit(20 * GiB, facts({ deviceMemoryGiB: null }));
    expect(huge.problems.join(' ')).toMatch(/more than its limit of 17\.2 GB/);
    const tight = estimateFit(1.71 * GB, facts({ storageQuota: 2 * GB, storageUsage: 1 * GB }));
    expect(tight.ok).toBe(true);
    expect(tight.notes.join(' ')).toMatch(/used but not cached/);
    expect(
      estimateFit(1.71 * GB, facts({ storageQuota: 2 * GB, storageUsage: 1 * GB, cached: true }))
        .notes,
    ).toEqual([]);
  });
});

describe("refuseUnfitBase (Compare's Outputs and accuracy runs, before any download)", () => {
  const base = (size: number) => ({
    label: 'Big base',
    size,
    source: { kind: 'url' as const, url: 'http://localhost:5173/big.gguf', name: 'big.gguf' },
  });

  it('refuses a catalog base the device reports too little memory for, naming it', async () => {
    // 2 GiB reported; a 1.71 GB file needs about 2 × 1.71 GB + KV cache + 128 MiB to load.
    vi.stubGlobal('navigator', { deviceMemory: 2 });
    await expect(refuseUnfitBase(base(1.71 * GB))).rejects.toThrow(
      /^Big base is too large for this device: Loading it takes about .* this device reports 2 GB/,
    );
    await expect(refuseUnfitBase(base(1_146_496))).resolves.toBeUndefined();
  });

  it('leaves a base picked from a file alone', async () => {
    vi.stubGlobal('navigator', { deviceMemory: 0.25 });
    const file = {
      label: 'Mine',
      size: 5 * GB,
      source: { kind: 'file' as const, file: {} as File },
    };
    await expect(refuseUnfitBase(file)).resolves.toBeUndefined();
  });
});
