/**
 * The LLM worker's engine (src/app/worker/llm-engine.ts) with a fake wllama at its boundary: what
 * it asks llama.cpp for. The real wllama runs in the browser specs (app-try); here the defaults
 * that decide an answer are checked in milliseconds: every mounted adapter gets an explicit scale,
 * 0 for one the request does not name, and a request's sampling or greedy settings pass through.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';

const calls = vi.hoisted(() => ({
  load: [] as { loras: { name: string }[]; params: Record<string, unknown> }[],
  complete: [] as Record<string, unknown>[],
  chatTemplate: null as string | null,
}));

vi.mock('@wllama/wllama/esm/index.js', () => ({
  Wllama: class {
    setCompat() {}
    isModelLoaded() {
      return true;
    }
    async exit() {}
    getNumThreads() {
      return 2;
    }
    getModelMetadata() {
      return {
        hparams: { nLayer: 2, nEmbd: 8, nVocab: 32, nCtxTrain: 128 },
        meta: { 'general.architecture': 'llama' },
      };
    }
    getChatTemplate() {
      return calls.chatTemplate;
    }
    mustAddBosToken() {
      return true;
    }
  },
}));

vi.mock('../../../src/app/worker/wllama-lora', () => ({
  loadWithLoras: async (
    _w: unknown,
    _base: Blob[],
    loras: { name: string }[],
    params: Record<string, unknown>,
  ) => {
    calls.load.push({ loras, params });
  },
  completeWithLora: async (
    _w: unknown,
    params: Record<string, unknown>,
    onData: (chunk: unknown) => void,
  ) => {
    calls.complete.push(params);
    onData({ choices: [{ text: 'ok', finish_reason: 'stop' }] });
  },
}));

const { LlmEngine } = await import('../../../src/app/worker/llm-engine');

const base = { key: 'b', name: 'base.gguf', blob: new Blob([new Uint8Array(4)]) };
const adapter = (id: string) => ({ id, label: id, bytes: new Uint8Array([1, 2, 3]) });
const options = { nCtx: 256, gpuLayers: 0, threads: 2 };

beforeEach(() => {
  calls.load.length = 0;
  calls.complete.length = 0;
  calls.chatTemplate = null;
  vi.stubGlobal('self', { location: { href: 'http://localhost/' } });
});

describe('LlmEngine', () => {
  it('mounts every adapter, and a request sets each scale: 0 for an unnamed one', async () => {
    const engine = new LlmEngine();
    await engine.load(base, [adapter('a'), adapter('b'), adapter('c')], options);
    expect(calls.load[0]!.loras.map((l) => l.name)).toEqual([
      'lora-0.gguf',
      'lora-1.gguf',
      'lora-2.gguf',
    ]);
    const result = await engine.complete(
      { prompt: 'p', lora: [{ id: 'b', scale: 0.5 }], maxTokens: 4 },
      () => {},
      new AbortController().signal,
    );
    expect(result.text).toBe('ok');
    expect(calls.complete[0]!['lora']).toEqual([
      { id: 0, scale: 0 },
      { id: 1, scale: 0.5 },
      { id: 2, scale: 0 },
    ]);
    // No adapter named: the base alone, every scale explicitly 0 (llama.cpp keeps old scales).
    await engine.complete(
      { prompt: 'p', lora: [], maxTokens: 4 },
      () => {},
      new AbortController().signal,
    );
    expect(calls.complete[1]!['lora']).toEqual([
      { id: 0, scale: 0 },
      { id: 1, scale: 0 },
      { id: 2, scale: 0 },
    ]);
    expect(calls.complete[1]).toMatchObject({ temperature: 0, top_k: 1, cache_prompt: false });
  });

  it('refuses an adapter that is not mounted, and a scale that is not a number', async () => {
    const engine = new LlmEngine();
    await engine.load(base, [adapter('a')], options);
    const run = (lora: { id: string; scale: number }[]) =>
      engine.complete({ prompt: 'p', lora, maxTokens: 4 }, () => {}, new AbortController().signal);
    await expect(run([{ id: 'z', scale: 1 }])).rejects.toThrow(/adapter z is not mounted/);
    await expect(run([{ id: 'a', scale: Number.NaN }])).rejects.toThrow(/adapter a: scale NaN/);
    expect(calls.complete).toHaveLength(0);
  });

  it('says when the chat template render starts and ends, also when the template is refused', async () => {
    calls.chatTemplate = '{{ messages[0].content }}!';
    const engine = new LlmEngine();
    await engine.load(base, [], options);
    const heard: string[] = [];
    const run = () =>
      engine.complete(
        { chat: { system: '', user: 'hi', useTemplate: true }, lora: [], maxTokens: 4 },
        () => {},
        new AbortController().signal,
        (p) => heard.push(p.state === 'start' ? `start ${p.limitMs} ${p.timeoutMessage}` : 'end'),
      );
    await run();
    expect(calls.complete[0]!['prompt']).toBe('hi!');
    expect(heard).toEqual([
      expect.stringMatching(
        /^start \d+ base\.gguf: the chat template .*; turn on "Plain prompt" \(skip the chat template\) and run again$/,
      ),
      'end',
    ]);
    heard.length = 0;
    calls.chatTemplate = '{% for i in range(10000000) %}{% endfor %}';
    await engine.load({ ...base, key: 'c' }, [], options);
    await expect(run()).rejects.toThrow(/^base\.gguf: the chat template .* ran past its budget/);
    expect(heard).toEqual([expect.stringMatching(/^start /), 'end']);
  });
});
