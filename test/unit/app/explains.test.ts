/** Issue #14: the pure parts of errors, names and sizes the page shows. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytesTag, downloadFileName, slug } from '../../../src/app/shared/download-names';
import { explainError } from '../../../src/app/shared/error-hints';
import { expectedEncoderDtype, firstDownload } from '../../../src/app/generate/first-download';
import { remoteAccess, remoteUrlProblem } from '../../../src/app/shared/remote-url';
import { ignoredShareParams } from '../../../src/app/shared/share-link';
import type { Catalog } from '../../../src/app/shared/catalog';
import type { Capabilities } from '../../../src/app/worker/protocol';
import { blendDescription } from '../../../src/app/worker/analysis';
import type { GenerateRequest } from '../../../src/app/worker/protocol';
import { folderProblem } from '../../../src/core/package/folder-check';
import { parseManifest } from '../../../src/core/package/manifest';
import { remoteModelInfo } from '../../../src/core/remote/oip-client';

const ROOT = join(import.meta.dirname, '..', '..', '..');

describe('download names', () => {
  const st = new Uint8Array([1, 2, 3]);
  it('name the description, the model and the bytes', () => {
    const n = {
      description: 'Solve math word problems!',
      model: 'Mistral-7B · T2L',
      safetensors: st,
    };
    expect(downloadFileName(n, 'safetensors')).toBe(
      `t2l-solve-math-word-problems--mistral-7b-t2l-${bytesTag(st)}.safetensors`,
    );
    // The three files of one adapter share the tag; a different adapter does not.
    expect(downloadFileName(n, 'zip').replace(/\.zip$/, '')).toBe(
      downloadFileName(n, 'gguf').replace(/\.gguf$/, ''),
    );
    expect(downloadFileName({ ...n, safetensors: new Uint8Array([1, 2, 4]) }, 'zip')).not.toBe(
      downloadFileName(n, 'zip'),
    );
    // Same description, another model: another name.
    expect(downloadFileName({ ...n, model: 'Demo T2L-L (random weights)' }, 'zip')).toMatch(
      /^t2l-solve-math-word-problems--demo-t2l-l-[0-9a-f]{8}\.zip$/,
    );
  });
  it('name both descriptions of a blend and their shares', () => {
    const name = downloadFileName(
      {
        description: 'Solve math word problems.',
        model: 'Demo T2L-S (random weights)',
        blend: { with: 'Write short poems.', weight: 0.25 },
        safetensors: st,
      },
      'safetensors',
    );
    expect(name).toMatch(/^t2l-blend-solve-math-word-75-write-short-poems-25--demo-t2l-s-/);
  });
  it('slug cuts at a word boundary and keeps only ASCII letters and digits', () => {
    expect(slug('Résumé écrit — en français', 40)).toBe('resume-ecrit-en-francais');
    expect(slug('one two three four', 10)).toBe('one-two');
  });
  it('FNV-1a matches its published test vectors', () => {
    // From the FNV reference (isthe.com/chongo/tech/comp/fnv): "" and "a".
    expect(bytesTag(new Uint8Array())).toBe('811c9dc5');
    expect(bytesTag(new TextEncoder().encode('a'))).toBe('e40c292c');
  });
  it('a blend writes both descriptions into the files', () => {
    const req = {
      descriptions: ['Solve math.'],
      blend: { with: 'Write poems.', weight: 0.25 },
    } as GenerateRequest;
    expect(blendDescription(req, 0)).toBe('Blend of 75% “Solve math.” and 25% “Write poems.”');
    expect(blendDescription({ descriptions: ['x'] } as GenerateRequest, 0)).toBe('x');
  });
});

describe('errors that point the right way', () => {
  it('Settings refuses what is not an endpoint URL', () => {
    expect(remoteUrlProblem('')).toBeNull();
    expect(remoteUrlProblem('http://localhost:8080')).toBeNull();
    expect(remoteUrlProblem('not a url')).toMatch(/^Not a URL/);
    expect(remoteUrlProblem('localhost:8080')).toMatch(/http:\/\/localhost:8080/);
    expect(remoteUrlProblem('ftp://x')).toMatch(/http\(s\)/);
    expect(remoteUrlProblem('http://h/v2/models/x')).toMatch(/root/);
  });

  it('a request carries the remote endpoint only when its URL is usable, the token only when given', () => {
    const url = 'http://localhost:8080';
    expect(remoteAccess({ remoteUrl: url, remoteToken: 'tok' })).toEqual({
      remote: { url, token: 'tok' },
    });
    expect(remoteAccess({ remoteUrl: url, remoteToken: '' })).toEqual({ remote: { url } });
    expect(remoteAccess({ remoteUrl: 'localhost:8080', remoteToken: 'tok' })).toEqual({});
    expect(remoteAccess({ remoteUrl: '', remoteToken: 'tok' })).toEqual({});
  });

  it('a web page at the endpoint is named as such, not as a JSON parse error', async () => {
    const fetchHtml = (async () =>
      new Response('<!doctype html><html></html>', {
        headers: { 'Content-Type': 'text/html' },
      })) as typeof fetch;
    const err = await remoteModelInfo('http://x', 'm', { fetch: fetchHtml }).catch((e) => e);
    expect(err.message).toContain('an HTML page, not an Open Inference Protocol server');
    expect(err.message).not.toMatch(/Unexpected token|JSON\.parse/);
    expect(err.kind).toBe('not-oip');
    const shown = explainError({
      code: err.code,
      message: err.message,
      remote: { status: 200, notOip: true },
    });
    expect(shown.title).toContain('not an inference server');
    expect(shown.retry).toBe(false);
  });

  it('advice and retry follow the cause', () => {
    const down = explainError({
      code: 'runtime',
      message: 'http://localhost:9/v2/models/m: could not connect (Failed to fetch)',
      remote: { status: 0, notOip: false },
    });
    expect(down.hint).toContain('t2l serve');
    expect(down.hint).not.toContain('demo models work offline');
    expect(down.retry).toBe(true);
    expect(explainError({ code: 'bad-input', message: 'x' }).retry).toBe(false);
    expect(explainError({ code: 'missing-file', message: 'x' }).retry).toBe(false);
    expect(explainError({ code: 'http', status: 503, message: 'x' }).retry).toBe(true);
    expect(explainError({ code: 'wrong-folder', message: 'x' }).title).toContain(
      'not a T2L hypernetwork',
    );
  });

  it('a t2l.json without version says so', () => {
    const m = JSON.parse(readFileSync(join(ROOT, 'models/demo/packages/S/t2l.json'), 'utf8'));
    delete m.version;
    expect(() => parseManifest(JSON.stringify(m))).toThrow(
      /version: expected the package format version, an integer \(1 today\), found nothing/,
    );
    expect(() => parseManifest(JSON.stringify({ ...m, version: 99 }))).toThrow(/newer/);
  });

  it('folders are judged by their file names', () => {
    expect(folderProblem('f', ['t2l.json', 'model.onnx'])).toBeNull();
    expect(folderProblem('f', ['hypermod.pt', 'args.yaml', 'adapter_config.json'])).toBeNull();
    expect(folderProblem('f', ['hypermod.pt'])?.message).toContain(
      'no args.yaml, adapter_config.json',
    );
    const peft = folderProblem('out', [
      'adapter_config.json',
      'adapter_model.safetensors',
      'README.md',
    ]);
    expect(peft?.code).toBe('wrong-folder');
    expect(peft?.message).toContain('this is a LoRA adapter');
    expect(folderProblem('f', ['README.md'])?.message).toContain('neither');
  });

  it('a share link lists what it did not apply', () => {
    expect(ignoredShareParams('?model=x&backend=quantum&zz=1&d=hi&dtype=float16&w=0.5')).toEqual([
      'backend=quantum',
      'zz=1',
      'w=0.5',
    ]);
    expect(ignoredShareParams('?d=hi&blend=b&w=0.3')).toEqual([]);
  });
});

describe('first download sizes', () => {
  const catalog = JSON.parse(readFileSync(join(ROOT, 'models/catalog.json'), 'utf8')) as Catalog;

  it('the demo sizes in the catalog are the files the app fetches', () => {
    const demo = join(ROOT, 'models', 'demo');
    if (!existsSync(demo)) return; // npm run fixtures writes them
    const sum = (dir: string, names: string[]) =>
      names.reduce((n, f) => n + statSync(join(ROOT, dir, f)).size, 0);
    for (const m of catalog.models.filter((x) => x.demo)) {
      const names =
        m.source.kind === 'package'
          ? ['t2l.json', 'model.onnx']
          : ['hypermod.pt', 'args.yaml', 'adapter_config.json'];
      expect(m.size, m.id).toBe(sum(m.source.url!, names));
    }
    const enc = catalog.encoders['t2l-web/tiny-demo-encoder']!;
    const files = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx'];
    expect(enc.sizes?.fp32).toBe(sum(enc.url!, files));
  });

  it('a model card counts the text encoder at the dtype that will be used', () => {
    const demo = catalog.models.find((m) => m.id === 'demo-L')!;
    const d = firstDownload(demo, catalog, () => 'fp32');
    expect(d.total).toBe(demo.size! + catalog.encoders['t2l-web/tiny-demo-encoder']!.sizes!.fp32!);
    const mistral = catalog.models.find((m) => m.id === 'mistral-7b-t2l')!;
    const caps = (f16: boolean) =>
      ({ webgpu: { available: true, features: { shaderF16: f16 } } }) as Capabilities;
    const gpu = { ok: true as const, backends: ['webgpu' as const], reason: '' };
    const wasm = { ok: true as const, backends: ['wasm' as const], reason: '' };
    const all = ['fp32', 'fp16', 'q8', 'q4'] as const;
    expect(expectedEncoderDtype('auto', all, gpu, caps(true))).toBe('fp16');
    expect(expectedEncoderDtype('auto', all, gpu, caps(false))).toBe('q4');
    expect(expectedEncoderDtype('auto', all, wasm, caps(true))).toBe('q8');
    expect(expectedEncoderDtype('q8', ['fp32'], wasm, caps(true))).toBe('fp32');
    const q8 = firstDownload(mistral, catalog, () => 'q8');
    expect(q8.encoder).toMatchObject({ dtype: 'q8', bytes: 440000000 });
    expect(q8.total).toBe(mistral.size! + 440000000);
  });

  it('official checkpoints are pinned to a Hub revision', () => {
    for (const m of catalog.models.filter((x) => x.source.hub === 'SakanaAI/text-to-lora')) {
      expect(m.source.revision).toBe('6e571eda2188b216f027263cd28c99c0fdcf2fa3');
    }
  });
});
