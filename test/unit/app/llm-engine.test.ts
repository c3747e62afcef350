/**
 * The LLM worker's engine (src/app/worker/llm-engine.ts) with a fake wllama at its boundary: what
 * it asks llama.cpp for. The real wllama runs in the browser specs (app-try); here the defaults
 * that decide an answer are checked in milliseconds: every mounted adapter gets an explicit scale,
 * 0 for one the request does not name, and a request's sampling or greedy settings pass through;
 * an accuracy run's answer stops where its matching rule settles it.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';

const calls = vi.hoisted(() => ({
  load: [] as { loras: { name: string }[]; params: Record<string, unknown> }[],
  complete: [] as Record<string, unknown>[],
  chatTemplate: null as string | null,
  /**
   * The tokens the fake llama.cpp streams, one chunk each (null: one chunk "ok"); with `batched`
   * they come in one go without looking at the abort signal, as one get_result holding several.
   */
  pieces: null as string[] | null,
  batched: false,
  /** Pieces sent before the abort signal was seen. */
  sent: 0,
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
    if (!calls.pieces) return onData({ choices: [{ text: 'ok', finish_reason: 'stop' }] });
    const signal = params['abortSignal'] as AbortSignal;
    for (const [i, text] of calls.pieces.entries()) {
      // wllama checks its abort signal before each result it fetches (WllamaAbortError).
      if (!calls.batched && signal.aborted) throw new Error('aborted');
      calls.sent++;
      const last = i === calls.pieces.length - 1;
      onData({ choices: [{ text, finish_reason: last ? 'length' : null }] });
    }
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
  calls.pieces = null;
  calls.batched = false;
  calls.sent = 0;
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

  it('loads with the page rendering templates (no Jinja in llama.cpp) and the context asked for', async () => {
    const engine = new LlmEngine();
    await engine.load(base, [adapter('a')], options);
    // llama.cpp's own Jinja engine is unbounded: a hostile GGUF template hung the load. It gets a
    // built-in template by name; the page renders prompts itself, bounded (chat-prompt.ts).
    expect(calls.load[0]!.params).toMatchObject({
      jinja: false,
      chat_template: 'chatml',
      n_ctx: 256,
      n_gpu_layers: 0,
      n_threads: 2,
    });
  });

  it('holds a session only for the same base, context size, GPU layers and mounted adapters', async () => {
    const engine = new LlmEngine();
    await engine.load(base, [adapter('a'), adapter('b')], options);
    expect(engine.holds('b', ['a', 'b'], options)).toBe(true);
    expect(engine.holds('b', ['b'], options)).toBe(true);
    expect(engine.holds('b', [], options)).toBe(true);
    // Anything else needs a new load: another base, context size or offload, an unmounted adapter.
    expect(engine.holds('other', ['a'], options)).toBe(false);
    expect(engine.holds('b', ['a'], { ...options, nCtx: 512 })).toBe(false);
    expect(engine.holds('b', ['a'], { ...options, gpuLayers: 99 })).toBe(false);
    expect(engine.holds('b', ['c'], options)).toBe(false);
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

  it('stops an answer once the matching rule settles it, as t2l eval does, and not otherwise', async () => {
    const engine = new LlmEngine();
    await engine.load(base, [], options);
    const run = (decidedBy?: 'choice' | 'free' | 'bool') => {
      calls.sent = 0;
      return engine.complete(
        { prompt: 'p', lora: [], maxTokens: 8, ...(decidedBy ? { decidedBy } : {}) },
        () => {},
        new AbortController().signal,
      );
    };
    calls.pieces = [' ', '(', 'B', ')', ' seven', '.'];
    // A choice is settled at its letter: the text up to that token, and llama.cpp is stopped.
    expect(await run('choice')).toMatchObject({ text: ' (B', finish: 'decided', tokens: 3 });
    expect(calls.sent).toBe(3);
    // A free answer depends on all of it; no rule: no early stop.
    expect(await run('free')).toMatchObject({ text: ' (B) seven.', finish: 'length' });
    expect(await run()).toMatchObject({ text: ' (B) seven.', finish: 'length' });
    // BoolQ's rule is settled at a "1" only.
    calls.pieces = ['no', ' 1', ' 0'];
    expect(await run('bool')).toMatchObject({ text: 'no 1', finish: 'decided' });
    // Tokens that arrive with the settling one are not part of the answer.
    calls.batched = true;
    calls.pieces = ['A', ' or', ' B'];
    expect(await run('choice')).toMatchObject({ text: 'A', finish: 'decided', tokens: 1 });
  });
});
