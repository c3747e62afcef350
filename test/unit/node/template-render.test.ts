/**
 * The CLI's second wall around an untrusted chat template (src/node/template-render.ts): a worker
 * thread with a heap limit and a wall-clock limit. The core's budget is widened here so that the
 * worker's own limits are what stops each render.
 */
import { describe, expect, it } from 'vitest';
import { T2LError } from '../../../src/core/errors';
import { renderChatPrompt } from '../../../src/core/llm/chat-prompt';
import { DEFAULT_TEMPLATE_BUDGET } from '../../../src/core/llm/template-budget';
import { renderChatPromptIsolated } from '../../../src/node/template-render';
import { TINY_CHAT_TEMPLATE } from '../../../src/fixtures/tiny-base';

const options = { source: 'model.gguf', remedy: 'run with --no-chat-template' };
// No limit of the core's but the nesting one: the worker's limits must stop these renders.
const unbounded = {
  ...DEFAULT_TEMPLATE_BUDGET,
  maxSteps: Number.MAX_SAFE_INTEGER,
  maxChars: Number.MAX_SAFE_INTEGER,
  maxTotalChars: Number.MAX_SAFE_INTEGER,
  maxItems: Number.MAX_SAFE_INTEGER,
  maxTotalItems: Number.MAX_SAFE_INTEGER,
  maxMs: Number.MAX_SAFE_INTEGER,
};

async function refusal(promise: Promise<unknown>): Promise<T2LError> {
  try {
    await promise;
  } catch (e) {
    expect(e).toBeInstanceOf(T2LError);
    return e as T2LError;
  }
  throw new Error('rendered');
}

describe('chat templates render in a worker thread with a heap and a time limit', () => {
  it('a real template renders as in-process, with its notes', async () => {
    const specials = { bosToken: '<s>', eosToken: '</s>', addBos: true };
    const input = { system: 'Be brief.', user: 'Hello' };
    expect(await renderChatPromptIsolated(TINY_CHAT_TEMPLATE, input, specials, options)).toEqual(
      renderChatPrompt(TINY_CHAT_TEMPLATE, input, specials, options),
    );
  });

  it("the core's refusals come through as they are", async () => {
    const e = await refusal(
      renderChatPromptIsolated(
        '{% for i in range(10000000) %}{% endfor %}',
        { user: 'hi' },
        {},
        options,
      ),
    );
    expect(e.code).toBe('bad-input');
    expect(e.message).toMatch(
      /^model\.gguf: the chat template \(tokenizer\.chat_template\) ran past its budget \(an argument of 10000000, more than 20000\); run with --no-chat-template$/,
    );
  });

  it('a render that never ends is stopped at the time limit', async () => {
    const e = await refusal(
      renderChatPromptIsolated(
        '{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}',
        { user: 'hi' },
        {},
        { ...options, budget: unbounded },
        { timeoutMs: 1000 },
      ),
    );
    expect(e.code).toBe('bad-input');
    expect(e.message).toMatch(
      /^model\.gguf: the chat template .* \(more than 1000 ms; the render was stopped\); run with --no-chat-template$/,
    );
  });

  it('a render that grows past the heap limit is stopped there', async () => {
    const e = await refusal(
      renderChatPromptIsolated(
        '{% set ns = namespace(l=[1]) %}{% for i in range(40) %}{% set ns.l = ns.l + ns.l %}{% endfor %}',
        { user: 'hi' },
        {},
        { ...options, budget: unbounded },
        { heapMb: 64 },
      ),
    );
    expect(e.code).toBe('bad-input');
    expect(e.message).toMatch(
      /^model\.gguf: the chat template .* \(more than 64 MB of memory; the render was stopped\); run with --no-chat-template$/,
    );
  });
});
