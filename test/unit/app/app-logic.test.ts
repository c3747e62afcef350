import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { chooseBackends } from '../../../src/app/shared/backend-choice';
import { hubUrl, parseCatalog } from '../../../src/app/shared/catalog';
import { explainError } from '../../../src/app/shared/error-hints';
import type { Capabilities } from '../../../src/app/worker/protocol';

const ROOT = join(import.meta.dirname, '..', '..', '..');

/**
 * The app's pure decisions, checked in Node (no browser needed; until issue #23 this file was
 * e2e/app-logic.spec.ts, run by Playwright).
 */

function caps(gpu: Partial<Capabilities['webgpu']> & { available: boolean }): Capabilities {
  return {
    webgpu: { isFallbackAdapter: false, features: { shaderF16: false }, ...gpu },
    crossOriginIsolated: true,
    threads: 4,
    hardwareConcurrency: 8,
    wasm: true,
  };
}
const realGpu = caps({
  available: true,
  adapterInfo: { vendor: 'nvidia', architecture: 'ampere', description: '' },
});
const softGpu = caps({
  available: true,
  isFallbackAdapter: true,
  adapterInfo: { vendor: 'google', architecture: 'swiftshader', description: '' },
});
const noGpu = caps({ available: false, reason: 'navigator.gpu is missing' });

test('auto prefers a real WebGPU adapter, wasm over a software one, remote only when it must', () => {
  expect(chooseBackends('auto', realGpu, { remoteConfigured: false })).toMatchObject({
    ok: true,
    backends: ['webgpu', 'wasm'],
  });
  const soft = chooseBackends('auto', softGpu, { remoteConfigured: false });
  expect(soft).toMatchObject({ ok: true, backends: ['wasm', 'webgpu'] });
  expect(soft.reason).toContain('software fallback');
  expect(chooseBackends('auto', noGpu, { remoteConfigured: true })).toMatchObject({
    ok: true,
    backends: ['wasm'],
  });
  expect(
    chooseBackends('auto', realGpu, { remoteConfigured: true, remoteFirst: true }),
  ).toMatchObject({ backends: ['remote'] });
  expect(
    chooseBackends('auto', realGpu, {
      remoteConfigured: true,
      modelBytes: 2 ** 30,
      deviceMemoryGb: 2,
    }),
  ).toMatchObject({ backends: ['remote'] });
  expect(chooseBackends('auto', { ...noGpu, wasm: false }, { remoteConfigured: false }).ok).toBe(
    false,
  );
});

test('a forced backend that cannot run says why', () => {
  const gpu = chooseBackends('webgpu', noGpu, { remoteConfigured: false });
  expect(gpu).toMatchObject({ ok: false });
  expect(gpu.reason).toContain('navigator.gpu is missing');
  expect(chooseBackends('remote', realGpu, { remoteConfigured: false })).toMatchObject({
    ok: false,
  });
  expect(chooseBackends('wasm', realGpu, { remoteConfigured: false })).toMatchObject({
    ok: true,
    backends: ['wasm'],
  });
  const single = chooseBackends(
    'wasm',
    { ...noGpu, crossOriginIsolated: false, threads: 1 },
    { remoteConfigured: false },
  );
  expect(single.reason).toContain('not cross-origin isolated');
});

test('errors come with advice', () => {
  expect(
    explainError({ code: 'http', status: 401, message: 'x', url: 'https://huggingface.co/a/b' })
      .hint,
  ).toContain('token');
  expect(
    explainError({ code: 'http', status: 404, message: 'x', url: 'https://example.com/p/t2l.json' })
      .hint,
  ).toContain('t2l.json');
  expect(
    explainError({
      code: 'missing-file',
      message: 'https://x/y: could not be fetched (Failed to fetch)',
    }).title,
  ).toContain('reach');
  expect(explainError({ code: 'bad-pickle', message: 'hypermod.pt: ...' }).title).toContain(
    'not a T2L checkpoint',
  );
});

test('the catalog lists the three official checkpoints and labels the demo as random weights', () => {
  const catalog = parseCatalog(
    JSON.parse(readFileSync(join(ROOT, 'models', 'catalog.json'), 'utf8')),
  );
  const official = catalog.models.filter((m) => m.source.hub === 'SakanaAI/text-to-lora');
  expect(official.map((m) => m.source.path).sort()).toEqual([
    'trained_t2l/gemma_2b_t2l',
    'trained_t2l/llama_8b_t2l',
    'trained_t2l/mistral_7b_t2l',
  ]);
  for (const m of official) expect(m.encoder).toBe('Alibaba-NLP/gte-large-en-v1.5');
  const demos = catalog.models.filter((m) => m.demo);
  expect(demos.length).toBeGreaterThan(0);
  for (const m of demos) expect(m.name).toContain('random weights');
  expect(hubUrl('SakanaAI/text-to-lora', 'trained_t2l/mistral_7b_t2l')).toBe(
    'https://huggingface.co/SakanaAI/text-to-lora/resolve/main/trained_t2l/mistral_7b_t2l/',
  );
  expect(() => parseCatalog({ models: [{ id: 'x' }] })).toThrow(/models\[0\]/);
});
