/**
 * App services at their edges: a value exactly at a limit, a backend list of more than one entry,
 * an encoder dtype the catalog does not list. Expected values are worked out by hand here (the FNV-1a
 * vectors are the published ones), not by calling the code under test.
 */
import { describe, expect, it } from 'vitest';
import { chooseBackends } from '../../../src/app/shared/backend-choice';
import type { Catalog, CatalogEntry } from '../../../src/app/shared/catalog';
import { bytesTag, downloadFileName, slug } from '../../../src/app/shared/download-names';
import { expectedEncoderDtype, firstDownload } from '../../../src/app/generate/first-download';
import { resolvePrecision } from '../../../src/app/shared/precision-choice';
import type { Capabilities } from '../../../src/app/worker/protocol';

const caps = (gpu: { available: boolean; fallback?: boolean; f16?: boolean }): Capabilities => ({
  webgpu: {
    available: gpu.available,
    isFallbackAdapter: gpu.fallback ?? false,
    features: { shaderF16: gpu.f16 ?? false },
    ...(gpu.available ? {} : { reason: 'no adapter' }),
  },
  crossOriginIsolated: true,
  threads: 2,
  hardwareConcurrency: 2,
  wasm: true,
});

describe('download names at their length limit', () => {
  // Eight words, 40 characters once slugged: exactly the description's limit.
  const forty = 'aaaa bbbb cccc dddd eeee ffff gggg hhhhh';
  const fortySlug = 'aaaa-bbbb-cccc-dddd-eeee-ffff-gggg-hhhhh';

  it('keeps a slug of exactly the maximum length whole', () => {
    expect(fortySlug).toHaveLength(40);
    expect(slug(forty, 40)).toBe(fortySlug);
  });

  it('cuts one character over the limit at the last word boundary', () => {
    expect(slug(`${forty}i`, 40)).toBe('aaaa-bbbb-cccc-dddd-eeee-ffff-gggg');
  });

  it('cuts a single long word at the limit', () => {
    expect(slug('x'.repeat(41), 40)).toBe('x'.repeat(40));
  });

  it('tags bytes with 32-bit FNV-1a (published vectors)', () => {
    const ascii = (s: string) => new TextEncoder().encode(s);
    expect(bytesTag(ascii(''))).toBe('811c9dc5');
    expect(bytesTag(ascii('a'))).toBe('e40c292c');
    expect(bytesTag(ascii('foobar'))).toBe('bf9cf968');
  });

  it('names a download whose description is exactly at the limit', () => {
    const name = downloadFileName(
      {
        description: forty,
        model: 'Demo T2L-L (random weights)',
        safetensors: new TextEncoder().encode('a'),
      },
      'zip',
    );
    expect(name).toBe(`t2l-${fortySlug}--demo-t2l-l-e40c292c.zip`);
  });
});

describe('backend lists of more than one entry', () => {
  it('Auto on a real GPU tries WebGPU, then wasm', () => {
    const c = chooseBackends('auto', caps({ available: true }), { remoteConfigured: false });
    expect(c.ok && c.backends).toEqual(['webgpu', 'wasm']);
  });

  it('Auto on a software GPU tries wasm first, WebGPU second', () => {
    const c = chooseBackends('auto', caps({ available: true, fallback: true }), {
      remoteConfigured: false,
    });
    expect(c.ok && c.backends).toEqual(['wasm', 'webgpu']);
  });

  it("'auto' precision follows the first backend only", () => {
    expect(resolvePrecision('auto', ['webgpu', 'wasm'])).toBe('q4');
    expect(resolvePrecision('auto', ['wasm', 'webgpu'])).toBe('int8');
    expect(resolvePrecision('auto', ['remote'])).toBe('int8');
    expect(resolvePrecision('fp16', ['webgpu', 'wasm'])).toBe('fp16');
  });

  it("the encoder's expected dtype follows the first backend only", () => {
    const all = ['fp32', 'fp16', 'q8', 'q4'] as const;
    const gpu = caps({ available: true, f16: true });
    const first = (backends: ('webgpu' | 'wasm')[]) =>
      expectedEncoderDtype('auto', all, { ok: true, backends, reason: '' }, gpu);
    expect(first(['webgpu', 'wasm'])).toBe('fp16');
    expect(first(['wasm', 'webgpu'])).toBe('q8');
    const noF16 = caps({ available: true });
    expect(
      expectedEncoderDtype('auto', all, { ok: true, backends: ['webgpu'], reason: '' }, noF16),
    ).toBe('q4');
  });
});

describe("Auto's memory limit for a remote fallback", () => {
  // The rule (backend-choice.ts): a session holds about 2.5× the model's bytes while it is
  // created; the remote endpoint is chosen only when that is more than the device reports.
  // 2 GiB × 2.5 = 5 GiB exactly: a device reporting 5 GB has just enough.
  const GiB = 2 ** 30;
  const ctx = (modelBytes: number) => ({ remoteConfigured: true, modelBytes, deviceMemoryGb: 5 });

  it('keeps a model that needs exactly the reported memory in the browser', () => {
    const c = chooseBackends('auto', caps({ available: true }), ctx(2 * GiB));
    expect(c.ok && c.backends).toEqual(['webgpu', 'wasm']);
  });

  it('sends a model one byte larger to the remote endpoint', () => {
    const c = chooseBackends('auto', caps({ available: true }), ctx(2 * GiB + 1));
    expect(c.ok && c.backends).toEqual(['remote']);
    expect(c.reason).toMatch(/reports 5 GB of memory, too little/);
  });
});

describe('an encoder dtype the catalog does not list', () => {
  const wasm = { ok: true as const, backends: ['wasm' as const], reason: '' };

  it('falls back to the first dtype the encoder publishes', () => {
    expect(expectedEncoderDtype('q4', ['fp32', 'q8'], wasm, caps({ available: false }))).toBe(
      'fp32',
    );
    expect(expectedEncoderDtype('auto', ['fp16', 'fp32'], wasm, caps({ available: false }))).toBe(
      'fp16',
    );
  });

  it('assumes fp32 only when the catalog lists no dtypes', () => {
    expect(expectedEncoderDtype('q8', undefined, wasm, null)).toBe('fp32');
    expect(expectedEncoderDtype('q8', [], wasm, null)).toBe('fp32');
  });

  it('counts no encoder bytes for a dtype without a listed size', () => {
    const entry = {
      id: 'm',
      name: 'M',
      baseModel: 'b',
      description: '',
      source: { kind: 'package', url: 'm/' },
      encoder: 'e',
      size: 1000,
    } as CatalogEntry;
    const catalog: Catalog = {
      models: [entry],
      encoders: { e: { url: 'e/', size: 400, sizes: { fp32: 400, q8: 100 } } },
    };
    expect(firstDownload(entry, catalog, () => 'q8')).toMatchObject({
      encoder: { id: 'e', dtype: 'q8', bytes: 100 },
      total: 1100,
    });
    // q4 is not listed: its size is unknown, not fp32's (400) and not zero.
    const q4 = firstDownload(entry, catalog, () => 'q4');
    expect(q4.encoder).toBeUndefined();
    expect(q4.total).toBe(1000);
    // fp32 without a sizes entry falls back to the encoder's size.
    const bare: Catalog = { models: [entry], encoders: { e: { url: 'e/', size: 400 } } };
    expect(firstDownload(entry, bare, () => 'fp32').total).toBe(1400);
  });
});
