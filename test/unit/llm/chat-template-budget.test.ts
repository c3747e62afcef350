/**
 * Untrusted chat templates render within a budget (core/llm/template-budget), and real models'
 * templates render exactly as the plain @huggingface/jinja Template.render does.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from '@huggingface/jinja';
import { describe, expect, it } from 'vitest';
import { T2LError } from '../../../src/core/errors';
import { renderChatPrompt } from '../../../src/core/llm/chat-prompt';
import {
  DEFAULT_TEMPLATE_BUDGET,
  TemplateBudgetError,
  renderBounded,
} from '../../../src/core/llm/template-budget';
import { TINY_CHAT_TEMPLATE } from '../../../src/fixtures/tiny-base';

const fixture = (name: string) =>
  readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', 'chat-templates', name), 'utf8');
const LLAMA31 = fixture('llama-3.1-8b-instruct.jinja');
const MISTRAL = fixture('mistral-7b-instruct-v0.2.jinja');
// Gemma-2-2b-it's tokenizer_config.json chat_template.
const GEMMA2 =
  "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}";

const CASES = join(import.meta.dirname, '..', '..', 'fixtures', 'cases', 'chat-template-unbounded');

describe('real templates render byte for byte as the plain renderer does', () => {
  const real: [string, string, { bosToken: string; eosToken: string }, string, string][] = [
    [
      'Llama-3.1-8B-Instruct',
      LLAMA31,
      { bosToken: '<|begin_of_text|>', eosToken: '<|eot_id|>' },
      '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n',
      '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n',
    ],
    [
      'Mistral-7B-Instruct-v0.2',
      MISTRAL,
      { bosToken: '<s>', eosToken: '</s>' },
      '<s> [INST] Be brief.\n\nHello [/INST]',
      '<s> [INST] Hello [/INST]',
    ],
    [
      'Gemma-2-2b-it (system before the message)',
      GEMMA2,
      { bosToken: '<bos>', eosToken: '<eos>' },
      '<bos><start_of_turn>user\nBe brief.\n\nHello<end_of_turn>\n<start_of_turn>model\n',
      '<bos><start_of_turn>user\nHello<end_of_turn>\n<start_of_turn>model\n',
    ],
    [
      'the tiny demo base',
      TINY_CHAT_TEMPLATE,
      { bosToken: '<s>', eosToken: '</s>' },
      '<s><|system|>Be brief.<|end|><|user|>Hello<|end|><|assistant|>',
      '<s><|user|>Hello<|end|><|assistant|>',
    ],
  ];
  for (const [name, template, specials, withSystem, alone] of real) {
    it(name, () => {
      expect(
        renderChatPrompt(template, { system: 'Be brief.', user: 'Hello' }, specials).prompt,
      ).toBe(withSystem);
      expect(renderChatPrompt(template, { user: 'Hello' }, specials).prompt).toBe(alone);
      // The same as the library's own, unwatched render, for a longer conversation too.
      const messages = [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello! How can I help?' },
        { role: 'user', content: 'x'.repeat(100_000) },
      ];
      const items = {
        messages,
        bos_token: specials.bosToken,
        eos_token: specials.eosToken,
        add_generation_prompt: true,
      };
      expect(renderBounded(new Template(template), items)).toBe(
        new Template(template).render(items),
      );
    });
  }
});

describe('templates that would hang, eat memory or abort V8 are refused within the budget', () => {
  const refused = (template: string, budget = DEFAULT_TEMPLATE_BUDGET) => {
    try {
      renderChatPrompt(
        template,
        { user: 'hi' },
        {},
        {
          source: 'model.gguf',
          remedy: 'run with --no-chat-template',
          budget,
        },
      );
    } catch (e) {
      expect(e).toBeInstanceOf(T2LError);
      expect((e as T2LError).code).toBe('bad-input');
      return (e as T2LError).message;
    }
    throw new Error('rendered');
  };

  for (const name of ['range-1e7-empty', 'join-1e8', 'range-1e9-lit']) {
    it(`case ${name}: one line naming the file, the budget and --no-chat-template`, () => {
      const message = refused(readFileSync(join(CASES, name, 'template.jinja'), 'utf8'));
      expect(message).toMatch(
        /^model\.gguf: the chat template \(tokenizer\.chat_template\) ran past its budget \(an argument of \d+, more than 20000\); run with --no-chat-template$/,
      );
    });
  }

  const kinds: [string, string, RegExp][] = [
    [
      'nested loops of allowed sizes (steps)',
      '{% for i in range(20000) %}{% for j in range(20000) %}{% endfor %}{% endfor %}',
      /more than 200000 steps/,
    ],
    [
      'a range whose bounds are each small but whose span is not',
      '{% for i in range(-20000, 20000) %}{% endfor %}',
      /range\(\) of more than 20000 items/,
    ],
    [
      'a string doubled in a loop',
      "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
      /a string of more than 4194304 characters/,
    ],
    [
      'many big strings kept in a list',
      "{% set ns = namespace(l=[], s='y') %}{% for i in range(20) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{% for i in range(10000) %}{% set ns.l = ns.l + [ns.s ~ i] %}{% endfor %}",
      /strings of more than 67108864 characters in all/,
    ],
    [
      'a list grown in nested loops',
      '{% set ns = namespace(l=[]) %}{% for i in range(1000) %}{% for j in range(1000) %}{% set ns.l = ns.l + [j] %}{% endfor %}{% endfor %}',
      /lists of more than 1000000 items in all/,
    ],
    [
      'a list that holds itself twice, doubled in a loop (small in memory, exponential to print)',
      '{% set ns = namespace(l=[1]) %}{% for i in range(40) %}{% set ns.l = [ns.l, ns.l] %}{% endfor %}{{ ns.l|tojson }}',
      /a value of more than 67108864 items and characters, nested lists and dicts unfolded/,
    ],
    [
      'a dict doubled the same way',
      "{% set ns = namespace(d={'a': 1}) %}{% for i in range(40) %}{% set ns.d = {'x': ns.d, 'y': ns.d} %}{% endfor %}{{ ns.d|string }}",
      /a value of more than 67108864 items and characters/,
    ],
    [
      'lists nested thousands deep',
      '{% set ns = namespace(l=[1]) %}{% for i in range(3000) %}{% set ns.l = [ns.l] %}{% endfor %}{{ ns.l|tojson }}',
      /lists or dicts nested deeper than 400/,
    ],
    [
      'endless macro recursion',
      '{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}',
      /nesting deeper than 400/,
    ],
    [
      'a width argument that builds a huge string in one step',
      "{{ 'a\\nb'|indent(400000000) }}",
      /an argument of 400000000/,
    ],
  ];
  // A clock that never moves: each case checks its own limit, not the time a loaded machine took.
  const stopped = { ...DEFAULT_TEMPLATE_BUDGET, now: () => 0 };
  for (const [what, template, limit] of kinds) {
    it(what, () => {
      expect(refused(template, stopped)).toMatch(limit);
    });
  }

  it('a time limit backs the step count up', () => {
    const message = refused(
      '{% for i in range(20000) %}{% for j in range(20000) %}{% endfor %}{% endfor %}',
      {
        ...DEFAULT_TEMPLATE_BUDGET,
        maxSteps: Number.MAX_SAFE_INTEGER,
        maxMs: 0,
      },
    );
    expect(message).toMatch(/more than 0 ms/);
  });

  it('the clock is read at every step, not every thousand (a loop of costly calls)', () => {
    let t = 0;
    // 200 iterations are a few hundred steps; each read of this clock is 1 ms later.
    const message = refused('{% for i in range(200) %}{% endfor %}', {
      ...DEFAULT_TEMPLATE_BUDGET,
      maxMs: 50,
      now: () => t++,
    });
    expect(message).toMatch(/more than 50 ms/);
  });

  it('a template longer than 1 MiB is refused before parsing', () => {
    expect(refused('x'.repeat((1 << 20) + 1))).toMatch(/1048577 characters long/);
  });

  it('the budget is only for bounded renders: a plain Template.render is not watched', () => {
    const t = new Template('{% for i in range(30000) %}{% endfor %}ok');
    expect(t.render({})).toBe('ok');
    expect(() => renderBounded(t, {})).toThrow(TemplateBudgetError);
    expect(t.render({})).toBe('ok');
  });
});
