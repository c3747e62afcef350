import { describe, expect, it } from 'vitest';
import { adapterGguf } from '../../../src/core/adapter/download';
import { T2LError } from '../../../src/core/errors';
import type { GeneratedAdapter } from '../../../src/core/generate';
import {
  adapterFactsFromGguf,
  adapterFactsFromManifest,
  baseModelFacts,
  checkBaseForAdapter,
} from '../../../src/core/llm/base-check';
import { readGgufHeader } from '../../../src/core/llm/gguf-header';
import type { PackageManifest } from '../../../src/core/package/manifest';
import {
  DEMO_BASE_OPTIONS,
  makeTinyBase,
  tinyBaseGguf,
  TINY_CHAT_TEMPLATE,
} from '../../../src/fixtures/tiny-base';

// The demo T2Ls' manifest facts (scripts/make-fixtures.ts): q_proj 64→64, v_proj 64→16, 4 layers.
const manifest = {
  format: 't2l-package',
  version: 1,
  source: 'test',
  baseModel: 't2l-web/tiny-demo-base',
  variant: 'M',
  encoder: 't2l-web/tiny-demo-encoder',
  precision: 'fp32',
  createdBy: 'test',
  layers: 4,
  rank: 8,
  modules: [
    { name: 'q_proj', inFeatures: 64, outFeatures: 64 },
    { name: 'v_proj', inFeatures: 64, outFeatures: 16 },
  ],
  moduleOrder: ['q_proj', 'v_proj'],
  adapterConfig: { r: 8, lora_alpha: 16, use_rslora: true, target_modules: ['q_proj', 'v_proj'] },
} as unknown as PackageManifest;

const header = (o = {}) =>
  readGgufHeader(tinyBaseGguf(makeTinyBase({ ...DEMO_BASE_OPTIONS, ...o })));
const demoBase = header();

function message(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(T2LError);
    return (e as Error).message;
  }
  throw new Error('expected a T2LError');
}

function adapterBytes(): Uint8Array {
  const mod = (inF: number, outF: number) => ({
    loraA: new Float32Array(4 * 8 * inF),
    loraB: new Float32Array(4 * outF * 8),
    layers: 4,
    rank: 8,
    inFeatures: inF,
    outFeatures: outF,
  });
  const adapter = { modules: { q_proj: mod(64, 64), v_proj: mod(64, 16) } } as GeneratedAdapter;
  return adapterGguf(manifest, adapter);
}

describe('base model facts', () => {
  it('the demo base: llama, 4 layers, its chat template and special tokens', () => {
    expect(baseModelFacts(demoBase)).toEqual({
      arch: 'llama',
      layers: 4,
      name: 't2l-web tiny demo base (random weights)',
      contextLength: 2048,
      chatTemplate: TINY_CHAT_TEMPLATE,
      bosToken: '<s>',
      eosToken: '</s>',
      addBos: false,
    });
  });

  it('an adapter is not a base model', () => {
    expect(message(() => baseModelFacts(readGgufHeader(adapterBytes()), 'a.gguf'))).toBe(
      'a.gguf is a LoRA adapter (general.type = adapter), not a base model',
    );
  });
});

describe('checkBaseForAdapter', () => {
  const facts = adapterFactsFromManifest(manifest);

  it('the demo base fits the demo adapters; the facts from the manifest equal those in the adapter GGUF', () => {
    expect(facts).toEqual({
      arch: 'llama',
      layers: 4,
      modules: [
        { name: 'q_proj', inFeatures: 64, outFeatures: 64 },
        { name: 'v_proj', inFeatures: 64, outFeatures: 16 },
      ],
      baseModel: 't2l-web/tiny-demo-base',
    });
    expect(adapterFactsFromGguf(readGgufHeader(adapterBytes()))).toEqual(facts);
    expect(() => checkBaseForAdapter(demoBase, facts)).not.toThrow();
  });

  it('another architecture: names both sides', () => {
    expect(
      message(() => checkBaseForAdapter(header({ arch: 'gemma2' }), facts, 'gemma.gguf')),
    ).toBe(
      'gemma.gguf is gemma2 with 4 layers; this adapter (made for t2l-web/tiny-demo-base) is for llama with 4 layers',
    );
  });

  it('another layer count', () => {
    expect(message(() => checkBaseForAdapter(header({ layers: 2 }), facts))).toBe(
      'base GGUF is llama with 2 layers; this adapter (made for t2l-web/tiny-demo-base) is for llama with 4 layers',
    );
  });

  it('another v_proj shape (2 KV heads: 64 → 32) or hidden size', () => {
    expect(message(() => checkBaseForAdapter(header({ nKvHead: 2 }), facts))).toBe(
      "base GGUF's blk.0.attn_v.weight is 64 → 32; this adapter's v_proj is 64 → 16 (in → out features)",
    );
    expect(message(() => checkBaseForAdapter(header({ hidden: 32 }), facts))).toMatch(
      /blk\.0\.attn_q\.weight is 32 → 64; this adapter's q_proj is 64 → 64/,
    );
  });

  it('a missing weight, and a module llama.cpp has no name for', () => {
    const h = header();
    h.tensors = h.tensors.filter((t) => t.name !== 'blk.3.attn_q.weight');
    expect(message(() => checkBaseForAdapter(h, facts))).toMatch(
      /has no blk\.3\.attn_q\.weight; this adapter changes q_proj \(64 → 64\) in every layer/,
    );
    const odd = { ...facts, modules: [{ name: 'lm_head', inFeatures: 64, outFeatures: 64 }] };
    expect(message(() => checkBaseForAdapter(demoBase, odd))).toMatch(/lm_head has no llama\.cpp/);
  });
});
