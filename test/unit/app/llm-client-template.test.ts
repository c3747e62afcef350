/**
 * A chat template's render can hold the LLM worker (it runs synchronously there): the page's
 * client (src/app/shared/llm-client.ts) terminates a worker whose render has not ended within
 * the limit the worker announced, fails the call with the worker's message, and starts a fresh
 * worker for the next call. Workers are fakes here: what is checked is the client's bookkeeping.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLlmClient } from '../../../src/app/shared/llm-client';
import type { LlmInbound, LlmOutbound } from '../../../src/app/worker/llm-protocol';

class FakeWorker {
  onmessage: ((e: MessageEvent<LlmOutbound>) => void) | null = null;
  onerror: ((e: ErrorEvent) => void) | null = null;
  sent: LlmInbound[] = [];
  terminated = false;
  postMessage(msg: LlmInbound) {
    this.sent.push(msg);
  }
  terminate() {
    this.terminated = true;
  }
  reply(msg: LlmOutbound) {
    this.onmessage?.({ data: msg } as MessageEvent<LlmOutbound>);
  }
}

const chat = { chat: { system: '', user: 'hi', useTemplate: true }, lora: [], maxTokens: 4 };
const start = {
  type: 'template',
  state: 'start',
  limitMs: 7000,
  timeoutMessage: 'base.gguf: the chat template ran past its budget; turn on "Plain prompt"',
} as const;
const result = {
  text: 'ok',
  tokens: 1,
  promptTokens: 1,
  ttftMs: 1,
  tokensPerSecond: 0,
  totalMs: 1,
  finish: 'stop',
} as const;

describe('the LLM client stops a worker whose chat-template render does not end', () => {
  let workers: FakeWorker[];
  const spawn = () => {
    const w = new FakeWorker();
    workers.push(w);
    return w as unknown as Worker;
  };
  beforeEach(() => {
    workers = [];
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('past the limit: the worker is terminated, the call fails with its message, the next call gets a fresh worker', async () => {
    const client = createLlmClient(spawn);
    const call = client.call('complete', chat);
    const failed = expect(call).rejects.toMatchObject({
      detail: { code: 'bad-input', message: start.timeoutMessage },
    });
    const w = workers[0]!;
    w.reply({ type: 'progress', id: 1, progress: start });
    await vi.advanceTimersByTimeAsync(6999);
    expect(w.terminated).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(w.terminated).toBe(true);
    await failed;

    const next = client.call('stats', null);
    expect(workers).toHaveLength(2);
    expect(workers[1]!.sent[0]).toMatchObject({ type: 'call', method: 'stats' });
    workers[1]!.reply({ type: 'result', id: 2, result: { loaded: false } });
    await expect(next).resolves.toEqual({ loaded: false });
  });

  it('a render that ends in time keeps the worker and its model', async () => {
    const client = createLlmClient(spawn);
    const call = client.call('complete', chat);
    const w = workers[0]!;
    w.reply({ type: 'progress', id: 1, progress: start });
    await vi.advanceTimersByTimeAsync(5000);
    w.reply({ type: 'progress', id: 1, progress: { type: 'template', state: 'end' } });
    // Generation may take long after the render: the watchdog is off.
    await vi.advanceTimersByTimeAsync(60_000);
    w.reply({ type: 'result', id: 1, result });
    await expect(call).resolves.toEqual(result);
    expect(w.terminated).toBe(false);
  });
});
