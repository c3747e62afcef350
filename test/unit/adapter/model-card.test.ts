import { describe, expect, it } from 'vitest';
import { unzipSync } from 'fflate';
import { adapterFiles } from '../../../src/core/adapter/adapter-files';
import {
  adapterDownload,
  adapterFileStem,
  adapterFolder,
  ggufSupported,
} from '../../../src/core/adapter/download';
import {
  buildModelCard,
  checkAdapterZip,
  readModelCard,
  vllmMaxLoraRank,
} from '../../../src/core/adapter/model-card';
import { zipFolder } from '../../../src/core/adapter/zip';
import { T2LError } from '../../../src/core/errors';
import type { GeneratedAdapter } from '../../../src/core/generate';
import type { PackageManifest } from '../../../src/core/package/manifest';

const BASE = 'mistralai/Mistral-7B-Instruct-v0.2';
const DATE = new Date('2026-03-04T05:06:07.000Z');

function fixture(baseModel = BASE): { manifest: PackageManifest; adapter: GeneratedAdapter } {
  const mod = (inF: number, outF: number) => ({
    loraA: Float32Array.from({ length: 2 * 8 * inF }, (_, i) => Math.sin(i)),
    loraB: Float32Array.from({ length: 2 * outF * 8 }, (_, i) => Math.cos(i)),
    layers: 2,
    rank: 8,
    inFeatures: inF,
    outFeatures: outF,
  });
  return {
    adapter: { modules: { q_proj: mod(64, 64), v_proj: mod(64, 16) } },
    manifest: {
      format: 't2l-package',
      version: 1,
      source: 'SakanaAI/text-to-lora/trained_t2l/mistral_7b_t2l',
      baseModel,
      variant: 'M',
      positions: 'none',
      taskEmbSize: 1024,
      latentSize: 128,
      headInSize: 512,
      layers: 2,
      rank: 8,
      modules: [
        { name: 'q_proj', inFeatures: 64, outFeatures: 64 },
        { name: 'v_proj', inFeatures: 64, outFeatures: 16 },
      ],
      moduleOrder: ['q_proj', 'v_proj'],
      trainingTask: 'sft',
      precision: 'fp32',
      encoder: 'Alibaba-NLP/gte-large-en-v1.5',
      paramCount: 1,
      adapterConfig: {
        base_model_name_or_path: baseModel,
        peft_type: 'LORA',
        r: 8,
        lora_alpha: 16,
        use_rslora: true,
        target_modules: ['q_proj', 'v_proj'],
      },
      graph: 'model.onnx',
      createdBy: 't2l-web 0.1.0',
    },
  };
}

describe('model card', () => {
  it('states every fact in front matter and body, with snippets for PEFT, vLLM, llama.cpp, Ollama', () => {
    const { manifest } = fixture();
    const text = buildModelCard(manifest, {
      description: 'Solve grade-school math word problems step by step',
      dtype: 'float16',
      backend: 'webgpu',
      timings: { encode: 120.04, generate: 35.55 },
      date: DATE,
      folder: 't2l-math',
      ggufFile: 't2l-math.gguf',
    });
    const { facts, body } = readModelCard(text);
    expect(facts).toEqual({
      base_model: BASE,
      description: 'Solve grade-school math word problems step by step',
      checkpoint: 'SakanaAI/text-to-lora/trained_t2l/mistral_7b_t2l',
      variant: 'M',
      training_task: 'sft',
      hypernetwork_precision: 'fp32',
      dtype: 'float16',
      module_order: ['q_proj', 'v_proj'],
      rank: 8,
      lora_alpha: 16,
      use_rslora: true,
      encoder: 'Alibaba-NLP/gte-large-en-v1.5',
      backend: 'webgpu',
      timings_ms: { encode: 120, generate: 35.6 },
      created: '2026-03-04T05:06:07.000Z',
      generator: 't2l-web 0.1.0',
    });
    expect(text).toMatch(
      /^---\nbase_model: mistralai\/Mistral-7B-Instruct-v0.2\nlibrary_name: peft\n/,
    );
    expect(body).toContain('> Solve grade\\-school math word problems step by step');
    expect(body).toContain('| Backend | webgpu |');
    expect(body).toContain('encode 120 ms, generate 35.6 ms');
    expect(body).toContain('lora_alpha / sqrt(r) = 16 / sqrt(8) ≈ 5.65685 (rsLoRA)');
    expect(body).toContain('`q_proj`, `v_proj`');
    expect(body).toContain('model = PeftModel.from_pretrained(base, "t2l-math")');
    expect(body).toContain(`AutoModelForCausalLM.from_pretrained("${BASE}"`);
    expect(body).toContain(
      `vllm serve ${BASE} --enable-lora --max-lora-rank 8 \\\n  --lora-modules t2l=t2l-math`,
    );
    expect(body).toContain('llama-cli -m base.gguf --lora t2l-math.gguf');
    expect(body).toContain('FROM ./base.gguf\nADAPTER ./t2l-math.gguf');
    expect(body).not.toContain('demo model');
  });

  it('survives descriptions that look like YAML or Markdown, and raw embeddings', () => {
    const { manifest } = fixture();
    const nasty = '---\nbase_model: evil\n# Heading | `code` *x* [a](b)\n\'quotes\' "and" \\';
    const text = buildModelCard(manifest, { description: nasty, date: DATE });
    const { facts, body } = readModelCard(text);
    expect(facts.description).toBe(nasty);
    expect(facts.base_model).toBe(BASE);
    expect(body).not.toMatch(/^# Heading/m);
    expect(body).toContain('> \\# Heading \\| \\`code\\` \\*x\\* \\[a\\]\\(b\\)');

    const raw = readModelCard(buildModelCard(manifest, { date: DATE }));
    expect(raw.facts.description).toBeNull();
    expect(raw.facts.backend).toBeNull();
    expect(raw.facts.timings_ms).toBeNull();
    expect(raw.body).toContain('generated from a raw task embedding');
    // Paths with spaces are quoted for the shell.
    expect(buildModelCard(manifest, { folder: 'my adapters/0' })).toContain(
      "--lora-modules 't2l=my adapters/0'",
    );
  });

  it('says which Ollama versions take ADAPTER and gives the llama-server route', () => {
    const { manifest } = fixture();
    const body = readModelCard(buildModelCard(manifest, { ggufFile: 'x.gguf' })).body;
    expect(body).toContain('Ollama 0.34.1 and\nlater refuse `ADAPTER`** (ollama PR 14969)');
    expect(body).toContain('Ollama up to 0.34.0 takes a GGUF LoRA');
    expect(body).toContain('llama-server -m base.gguf --lora x.gguf');
    expect(body).toContain('"lora": [{"id": 0, "scale": 1.0}]');
    // The app's controls by their labels (src/app/generate/ResultCard.tsx, CompareColumns.tsx).
    expect(body).toContain('**.gguf for llama.cpp** button under **↓ Download PEFT .zip**');
  });

  it('asks vLLM for a --max-lora-rank it accepts', () => {
    expect([1, 8, 12, 16, 17, 300, 512].map(vllmMaxLoraRank)).toEqual([8, 8, 16, 16, 32, 320, 512]);
  });

  it('writes only well-formed text: a lone surrogate becomes U+FFFD in card and zip names', () => {
    const { manifest, adapter } = fixture();
    const card = buildModelCard({ ...manifest, source: 'dir\udc00x' }, { description: 'a\ud800b' });
    expect(card.isWellFormed()).toBe(true);
    const { facts } = readModelCard(card);
    expect([facts.description, facts.checkpoint]).toEqual(['a\uFFFDb', 'dir\uFFFDx']);
    const zip = adapterDownload(manifest, adapter, {
      format: 'peft-zip',
      name: 'n\ud800',
      description: 'a\ud800b',
    });
    expect(zip.fileName).toBe('n\uFFFD.zip');
    const names = Object.keys(unzipSync(zip.bytes));
    expect(names.every((n) => n.startsWith('n\uFFFD/'))).toBe(true);
    const readme = unzipSync(zip.bytes)['n\uFFFD/README.md']!;
    expect(new TextDecoder('utf-8', { fatal: true }).decode(readme)).toContain('a\uFFFDb');
  });

  it('marks adapters of the random demo models', () => {
    const { manifest } = fixture('t2l-web/tiny-demo-base');
    expect(buildModelCard(manifest)).toContain('demo model with random weights');
  });
});

describe('adapterDownload', () => {
  it('peft-zip: README.md + the PEFT files, checked by checkAdapterZip', () => {
    const { manifest, adapter } = fixture();
    const d = adapterDownload(manifest, adapter, {
      format: 'peft-zip',
      description: 'Summarize legal contracts.',
      backend: 'wasm',
      timings: { generate: 12 },
      date: DATE,
    });
    expect(d.fileName).toBe('t2l-summarize-legal-contracts.zip');
    expect(d.mime).toBe('application/zip');
    // One folder, named like the zip: what the card's snippets call it.
    const dir = 't2l-summarize-legal-contracts/';
    const files = unzipSync(d.bytes);
    expect(Object.keys(files).sort()).toEqual([
      `${dir}README.md`,
      `${dir}adapter_config.json`,
      `${dir}adapter_model.safetensors`,
    ]);
    expect(files[`${dir}adapter_model.safetensors`]).toEqual(
      adapterFiles(manifest, adapter, {
        description: 'Summarize legal contracts.',
        backend: 'wasm',
      })['adapter_model.safetensors'],
    );
    expect(
      checkAdapterZip(d.bytes, {
        base_model: BASE,
        description: 'Summarize legal contracts.',
        backend: 'wasm',
        dtype: 'float32',
        module_order: ['q_proj', 'v_proj'],
        variant: 'M',
      }),
    ).toEqual([]);
    const card = new TextDecoder().decode(files[`${dir}README.md`]);
    expect(card).toContain('PeftModel.from_pretrained(base, "t2l-summarize-legal-contracts")');
    expect(card).toContain('--lora t2l-summarize-legal-contracts.gguf');
  });

  it('checkAdapterZip names what is wrong', () => {
    const { manifest, adapter } = fixture();
    const files = adapterFolder(manifest, adapter, { description: 'a', date: DATE });
    const rest = Object.fromEntries(Object.entries(files).filter(([k]) => k !== 'README.md'));
    expect(checkAdapterZip(zipFolder(rest))).toEqual(['zip has no README.md']);
    expect(checkAdapterZip(zipFolder(files), { description: 'b', dtype: 'float16' })).toEqual([
      'README.md description: expected "b", found "a"',
      'README.md dtype: expected "float16", found "float32"',
    ]);
    expect(checkAdapterZip(zipFolder(files, { folder: 'nested' }))).toEqual([]);
    expect(checkAdapterZip(new Uint8Array([1, 2, 3]))[0]).toContain('not a readable zip');
  });

  it('safetensors and gguf downloads', () => {
    const { manifest, adapter } = fixture();
    const s = adapterDownload(manifest, adapter, { format: 'safetensors', dtype: 'bfloat16' });
    expect(s.fileName).toBe('t2l-adapter.safetensors');
    expect(s.bytes).toEqual(
      adapterFiles(manifest, adapter, { dtype: 'bfloat16' })['adapter_model.safetensors'],
    );
    const g = adapterDownload(manifest, adapter, {
      format: 'gguf',
      dtype: 'float16',
      name: 'mine',
    });
    expect(g.fileName).toBe('mine.gguf');
    expect(new TextDecoder().decode(g.bytes.subarray(0, 4))).toBe('GGUF');
    expect(ggufSupported(manifest)).toBe(true);

    const unknown = fixture('acme/other-7b');
    expect(ggufSupported(unknown.manifest)).toBe(false);
    expect(ggufSupported(unknown.manifest, { arch: 'llama', nHead: 4, nKvHead: 4 })).toBe(true);
    expect(() => adapterDownload(unknown.manifest, unknown.adapter, { format: 'gguf' })).toThrow(
      T2LError,
    );
    expect(() => adapterDownload(manifest, adapter, { format: 'onnx' as never })).toThrow(
      'unknown download format',
    );
  });

  it('file-name stems', () => {
    expect(adapterFileStem('  Résumé: write   cover letters!! ')).toBe(
      't2l-resume-write-cover-letters',
    );
    expect(adapterFileStem('')).toBe('t2l-adapter');
    expect(adapterFileStem('日本語')).toBe('t2l-adapter');
    expect(adapterFileStem('x'.repeat(100)).length).toBeLessThanOrEqual(52);
  });
});
