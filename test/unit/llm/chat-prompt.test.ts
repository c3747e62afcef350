import { describe, expect, it } from 'vitest';
import { T2LError } from '../../../src/core/errors';
import { renderChatPrompt } from '../../../src/core/llm/chat-prompt';
import { TINY_CHAT_TEMPLATE } from '../../../src/fixtures/tiny-base';

// Gemma-2-2b-it's tokenizer_config.json chat_template (it refuses a system message).
const GEMMA2 =
  "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}";
const GEMMA_SPECIALS = { bosToken: '<bos>', eosToken: '<eos>', addBos: true };

describe('renderChatPrompt', () => {
  it("the demo base's template, with and without a system prompt", () => {
    const specials = { bosToken: '<s>', eosToken: '</s>', addBos: false };
    expect(renderChatPrompt(TINY_CHAT_TEMPLATE, { user: 'Write a poem.' }, specials)).toEqual({
      prompt: '<s><|user|>Write a poem.<|end|><|assistant|>',
      usedTemplate: true,
      notes: [],
    });
    expect(
      renderChatPrompt(TINY_CHAT_TEMPLATE, { system: 'Be brief.', user: 'Hi' }, specials).prompt,
    ).toBe('<s><|system|>Be brief.<|end|><|user|>Hi<|end|><|assistant|>');
  });

  it("Gemma-2's template gives Gemma's documented turn format", () => {
    expect(renderChatPrompt(GEMMA2, { user: ' Hello ' }, GEMMA_SPECIALS)).toEqual({
      prompt: '<bos><start_of_turn>user\nHello<end_of_turn>\n<start_of_turn>model\n',
      usedTemplate: true,
      notes: [],
    });
  });

  it('a template that refuses system messages: the system prompt goes before the user message, said in a note', () => {
    const r = renderChatPrompt(GEMMA2, { system: 'Be brief.', user: 'Hello' }, GEMMA_SPECIALS);
    expect(r.prompt).toBe(
      '<bos><start_of_turn>user\nBe brief.\n\nHello<end_of_turn>\n<start_of_turn>model\n',
    );
    expect(r.notes).toEqual([
      "the chat template takes no system message (System role not supported): it was put before the user's message",
    ]);
  });

  it('no template, or the template turned off: a plain prompt, BOS added where the model adds one', () => {
    expect(renderChatPrompt(undefined, { system: 'S', user: 'U' }, GEMMA_SPECIALS)).toEqual({
      prompt: '<bos>S\n\nU',
      usedTemplate: false,
      notes: ['the base model has no chat template (tokenizer.chat_template): plain prompt'],
    });
    expect(
      renderChatPrompt(GEMMA2, { user: 'U' }, { bosToken: '<s>' }, { useTemplate: false }),
    ).toEqual({ prompt: 'U', usedTemplate: false, notes: ['chat template off: plain prompt'] });
  });

  it('never doubles the BOS a template already writes', () => {
    const r = renderChatPrompt(
      '{{ bos_token }}{{ messages[0].content }}',
      { user: 'x' },
      GEMMA_SPECIALS,
    );
    expect(r.prompt).toBe('<bos>x');
    const t = renderChatPrompt('{{ messages[0].content }}', { user: 'x' }, GEMMA_SPECIALS);
    expect(t.prompt).toBe('<bos>x');
  });

  it('a template that does not parse, or fails: T2LError', () => {
    expect(() => renderChatPrompt('{% for %}', { user: 'x' })).toThrow(T2LError);
    expect(() => renderChatPrompt('{% for %}', { user: 'x' })).toThrow(/does not parse/);
    expect(() => renderChatPrompt("{{ raise_exception('no') }}", { user: 'x' })).toThrow(
      /chat template \(tokenizer\.chat_template\) failed: no/,
    );
  });

  it("the template's own errors name the file and the remedy, in one short line", () => {
    const options = { source: 'm.gguf', remedy: 'run with --no-chat-template' };
    const message = (template: string, system?: string) => {
      try {
        renderChatPrompt(template, { user: 'x', ...(system ? { system } : {}) }, {}, options);
      } catch (e) {
        expect(e).toBeInstanceOf(T2LError);
        return (e as T2LError).message;
      }
      throw new Error('rendered');
    };
    const head = '^m\\.gguf: the chat template \\(tokenizer\\.chat_template\\) ';
    const tail = '; run with --no-chat-template$';
    expect(message("{{ raise_exception('nope') }}", 'sys')).toMatch(
      new RegExp(`${head}failed: nope${tail}`),
    );
    expect(message("{{ 'x'|frobnicate }}")).toMatch(
      new RegExp(`${head}failed: Unknown StringValue filter: frobnicate${tail}`),
    );
    expect(message('{% for %}')).toMatch(new RegExp(`${head}does not parse: .+${tail}`));
    // A raised message of a megabyte is cut, and says how long it was.
    const long = message(`{{ raise_exception('${'y'.repeat(500_000)}') }}`);
    expect(long.length).toBeLessThan(400);
    expect(long).toMatch(new RegExp(`${head}failed: y{200}… \\(500000 characters\\)${tail}`));
  });
});
