/**
 * The wllama shim (src/app/worker/wllama-lora.ts) against the installed @wllama/wllama: its real
 * `loadModel` runs up to the model load request, talking to a stand-in for its internal worker (Node
 * has no Web Worker), so this fails the day wllama stops creating its proxy and writing files the
 * way the shim relies on: the adapter must be written into /models and named in the load request.
 * e2e/app-try.spec.ts checks in Chromium that an adapter mounted this way changes the output.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Wllama, type CacheManager, type ModelManager } from '@wllama/wllama/esm/index.js';
import { loadWithLoras, WLLAMA_VERSION } from '../../../src/app/worker/wllama-lora';

interface Sent {
  verb: string;
  args: unknown[];
}

/** Answers wllama's worker protocol ({verb, args, callbackId}) and stops at the model load. */
class FakeWorker {
  static sent: Sent[] = [];
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onerror: unknown = null;
  private nextFile = 1;
  postMessage(msg: { verb: string; args: unknown[]; callbackId: number }) {
    FakeWorker.sent.push({ verb: msg.verb, args: msg.args });
    const reply = (data: object) =>
      queueMicrotask(() => this.onmessage?.({ data: { callbackId: msg.callbackId, ...data } }));
    if (msg.verb === 'fs.alloc') reply({ result: { fileId: this.nextFile++ } });
    else if (msg.verb === 'wllama.start') reply({ result: '{"success":true}' });
    else if (msg.verb === 'wllama.action') reply({ err: new Error('stop: load request captured') });
    else reply({ result: null });
  }
  terminate() {}
}

afterEach(() => {
  vi.unstubAllGlobals();
  FakeWorker.sent = [];
});

async function attemptLoad(withShim: boolean): Promise<{ allocs: string[]; loadRequest: string }> {
  // What wllama reads of a browser worker's globals.
  vi.stubGlobal('Worker', FakeWorker);
  vi.stubGlobal('navigator', { userAgent: 'node', hardwareConcurrency: 2 });
  vi.stubGlobal('self', { location: { href: 'http://localhost/' } });
  const quiet = { debug: () => {}, log: () => {}, warn: () => {}, error: () => {} };
  // Node has no OPFS for wllama's own model cache; the app never uses that cache anyway.
  const wllama = new Wllama(
    { default: 'http://localhost/wllama/wllama.wasm' },
    { logger: quiet, cacheManager: {} as CacheManager, modelManager: {} as ModelManager },
  );
  wllama.setCompat(null);
  const base = new Blob([new Uint8Array(64).fill(7)]);
  const lora = { name: 'lora-0.gguf', blob: new Blob([new Uint8Array(32).fill(9)]) };
  const params = { n_threads: 1, n_gpu_layers: 0 };
  const load = withShim
    ? loadWithLoras(wllama, [base], [lora], params)
    : wllama.loadModel([base], {
        ...params,
        lora_adapters: [{ path: 'models/lora-0.gguf', scale: 0 }],
      });
  await expect(load).rejects.toThrow('load request captured');
  const allocs = FakeWorker.sent
    .filter((s) => s.verb === 'fs.alloc')
    .map((s) => `${String(s.args[0])}:${String(s.args[1])}`);
  const action = FakeWorker.sent.find((s) => s.verb === 'wllama.action' && s.args[0] === 'load');
  const loadRequest = new TextDecoder('latin1').decode(action!.args[1] as Uint8Array);
  return { allocs, loadRequest };
}

describe('wllama LoRA shim', () => {
  it('is written for the installed wllama version', () => {
    const pkg = createRequire(import.meta.url).resolve('@wllama/wllama/package.json');
    expect(JSON.parse(readFileSync(pkg, 'utf8')).version).toBe(WLLAMA_VERSION);
  });

  it('writes the adapter into /models and names it in the load request', async () => {
    const { allocs, loadRequest } = await attemptLoad(true);
    expect(allocs).toEqual(['model-00001-of-00001.gguf:64', 'lora-0.gguf:32']);
    expect(loadRequest).toContain('models/model-00001-of-00001.gguf');
    expect(loadRequest).toContain('models/lora-0.gguf');
  });

  it('(control) without it, wllama never writes the adapter: lora_adapters takes paths only', async () => {
    const { allocs, loadRequest } = await attemptLoad(false);
    expect(allocs).toEqual(['model-00001-of-00001.gguf:64']);
    expect(loadRequest).toContain('models/lora-0.gguf');
  });
});
