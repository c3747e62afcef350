/**
 * The restated protocol (src/core/eval/protocol.ts): Python str.format, each benchmark's prompt for
 * a row in its dataset's layout (the expected strings written out here from vllm_eval.py's
 * templates), ARC's padding, GSM8K's target and prefill, user sets, and the chat prompt with the
 * reference's empty system message.
 */
import { Template } from '@huggingface/jinja';
import { describe, expect, it } from 'vitest';
import {
  BENCHMARKS,
  NOT_SCORED,
  benchmarkItem,
  checkUserTemplate,
  formatTemplate,
  renderItemPrompt,
  userSetItem,
  userTemplate,
  userTemplateNote,
} from '../../../src/core/eval/protocol';

describe('formatTemplate (Python str.format)', () => {
  it('fields, indexes, nested keys, escaped braces; Python str() of values', () => {
    expect(
      formatTemplate('{a} {b[0]} {c[label][1]}: {c[text][1]} {{x}} {t} {n} {f}', {
        a: 'A',
        b: ['B0'],
        c: { label: ['L0', 'L1'], text: ['T0', 'T1'] },
        t: true,
        n: 3,
        f: 0.5,
      }),
    ).toBe('A B0 L1: T1 {x} True 3 0.5');
  });
  it('refuses a missing field, an index past the end, a format spec, a lone brace', () => {
    expect(() => formatTemplate('{q}', {}, 'T')).toThrow(/T: the row has no field "q" for \{q\}/);
    expect(() => formatTemplate('{e[4]}', { e: ['a'] })).toThrow(/no e\[4\]/);
    expect(() => formatTemplate('{q:>4}', { q: 'x' })).toThrow(/unsupported field \{q:>4\}/);
    expect(() => formatTemplate('a } b', {})).toThrow(/single "\}"/);
    expect(() => formatTemplate('a { b', {})).toThrow(/not closed/);
  });
  it('names a stray brace by its 1-based position, as the example files’ messages count', () => {
    expect(() => formatTemplate('{q}}', { q: 'x' })).toThrow('a single "}" at character 4');
    expect(() => formatTemplate('ab {', {})).toThrow('"{" at character 4 is not closed');
  });
  it('reads own fields only: inherited names are missing fields, not values', () => {
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(() => formatTemplate(`{${name}}`, { q: 'x' }, 'T')).toThrow(
        `T: the row has no field "${name}" for {${name}}`,
      );
      expect(() => formatTemplate(`{c[${name}]}`, { c: { a: 'x' } })).toThrow(/the row has no c\[/);
      expect(() => checkUserTemplate(`{prompt} {${name}}`)).toThrow(
        `the template may use only {prompt} and {choices} (other fields of a row are not read); found {${name}}`,
      );
    }
    expect(() => formatTemplate('{e[length]}', { e: ['a'] })).toThrow(/no e\[length\]/);
    // Python's int("01") is 1: an index with a leading zero still reads the list.
    expect(formatTemplate('{e[01]}', { e: ['a', 'b'] })).toBe('b');
  });
});

describe('benchmarks as the reference asks them', () => {
  it('covers the eight benchmarks; HumanEval and MBPP listed as not scored', () => {
    expect(Object.keys(BENCHMARKS).sort()).toEqual(
      [
        'arc_challenge',
        'arc_easy',
        'boolq',
        'gsm8k',
        'hellaswag',
        'openbookqa',
        'piqa',
        'winogrande',
      ].sort(),
    );
    expect(NOT_SCORED.map((b) => b.name)).toEqual(['humaneval', 'mbpp']);
    for (const b of Object.values(BENCHMARKS)) expect(b.maxTokens).toBe(512);
  });

  it('ARC: four lettered choices, padded with N/A; answerKey matched by the choice rule', () => {
    const item = benchmarkItem(
      BENCHMARKS.arc_easy,
      {
        question: 'Q?',
        choices: { text: ['x', 'y', 'z'], label: ['1', '2', '3'] },
        answerKey: '2',
      },
      '0',
    );
    expect(item.user).toBe(
      'Answer the question below by choosing the correct choice.\n\nQ?\n\n1: x\n2: y\n3: z\n4: N/A\n\n' +
        'You must respond with the letter corresponding to the correct choice without any explanation.',
    );
    expect(item).toMatchObject({ expected: '2', rule: 'choice', system: '', prefill: '' });
    const abc = benchmarkItem(
      BENCHMARKS.arc_challenge,
      { question: 'Q', choices: { text: ['x', 'y', 'z'], label: ['A', 'B', 'C'] }, answerKey: 'C' },
      '1',
    );
    expect(abc.user).toContain('\nC: z\nD: N/A\n');
  });

  it('BoolQ, HellaSwag, OpenBookQA, PIQA, Winogrande, GSM8K', () => {
    const boolq = benchmarkItem(
      BENCHMARKS.boolq,
      { passage: 'P', question: 'is it', answer: true },
      '0',
    );
    expect(boolq.user).toBe(
      'P\n\nQuestion: is it?\n\nPlease answer with either `true` or `false` without any explanation.',
    );
    expect(boolq).toMatchObject({ expected: 'True', rule: 'bool' });

    const hs = benchmarkItem(
      BENCHMARKS.hellaswag,
      { ctx: 'C', endings: ['a', 'b', 'c', 'd'], label: '3' },
      '0',
    );
    expect(hs.user).toContain(
      'Passage: C\n\n0: a\n1: b\n2: c\n3: d\n\nYou must respond with the only number',
    );
    expect(hs.expected).toBe('3');

    const obqa = benchmarkItem(
      BENCHMARKS.openbookqa,
      {
        question_stem: 'S',
        choices: { text: ['a', 'b', 'c', 'd'], label: ['A', 'B', 'C', 'D'] },
        answerKey: 'D',
      },
      '0',
    );
    expect(obqa.user).toBe(
      'Complete the following passage or answer the question by choosing the correct choice.\n\nS\n\n' +
        'A: a\nB: b\nC: c\nD: d\n\nYou must respond with the letter corresponding to the correct choice (A,B,C,D) without any explanation.',
    );

    const piqa = benchmarkItem(
      BENCHMARKS.piqa,
      { goal: 'G', sol1: 's1', sol2: 's2', label: 1 },
      '0',
    );
    expect(piqa.user).toContain(
      'more common.\n\n"""G"""\n\n0: s1\n1: s2\n\nYou must respond with either `0` or `1`',
    );
    expect(piqa.expected).toBe('1');

    const wg = benchmarkItem(
      BENCHMARKS.winogrande,
      { sentence: 'S _', option1: 'o1', option2: 'o2', answer: '2' },
      '0',
    );
    expect(wg.user).toBe(
      'Given the following situation:\n\nS _\n\nWhich option is correct?\n\nOption 1: o1\n\nOption 2: o2\n\n' +
        'You must respond with either `1` or `2` without any explanation.',
    );

    const gsm = benchmarkItem(
      BENCHMARKS.gsm8k,
      { question: 'How many?', answer: 'work\n#### 1,200' },
      '0',
    );
    expect(gsm).toMatchObject({
      user: 'Please answer the following question: How many?\n\n',
      prefill: "Let's think step by step.",
      expected: '200', // "1,200": the reference's pattern reads the last number, "200"
      rule: 'number',
    });
    expect(() => benchmarkItem(BENCHMARKS.boolq, { passage: 'P', question: 'q' }, '7')).toThrow(
      /BoolQ row 7: no "answer" field/,
    );
  });
});

describe('user sets', () => {
  it('free rows: the prompt as it is; choice rows: the ARC layout with lettered choices', () => {
    expect(userSetItem({ id: 'a', line: 1, prompt: 'What?', answer: 'x' })).toEqual({
      id: 'a',
      system: '',
      user: 'What?',
      prefill: '',
      expected: 'x',
      rule: 'free',
      maxTokens: 512,
    });
    const c = userSetItem({
      id: 'b',
      line: 2,
      prompt: 'Pick',
      choices: ['p', 'q', 'r', 's', 't'],
      answer: 'E',
    });
    expect(c.user).toBe(
      'Answer the question below by choosing the correct choice.\n\nPick\n\nA: p\nB: q\nC: r\nD: s\nE: t\n\n' +
        'You must respond with the letter corresponding to the correct choice without any explanation.',
    );
    expect(c).toMatchObject({ expected: 'E', rule: 'choice' });
    const t = userSetItem(
      { id: 'c', line: 3, prompt: 'Hi', answer: 'x' },
      { template: 'Q: {prompt} {{ok}}', system: 'Be brief.', maxTokens: 8 },
    );
    expect(t).toMatchObject({ user: 'Q: Hi {ok}', system: 'Be brief.', maxTokens: 8 });
  });
  it('checkUserTemplate refuses a template without {prompt} or with other fields', () => {
    expect(() => checkUserTemplate('Answer: {prompt}\n{choices}')).not.toThrow();
    expect(() => checkUserTemplate('no field')).toThrow(/must hold \{prompt\}/);
    expect(() => checkUserTemplate('{{prompt}}')).toThrow(/must hold \{prompt\}/);
    // The rows may well hold a "question" field: the message must not say they lack it, but that a
    // template reads {prompt} and {choices} only.
    expect(() => checkUserTemplate('{question}')).toThrow(
      'the template may use only {prompt} and {choices} (other fields of a row are not read); found {question}',
    );
    expect(() => checkUserTemplate('{prompt} {context[0]}')).toThrow(/found \{context\[0\]\}/);
    expect(() => checkUserTemplate('{prompt[0]}')).toThrow(/found \{prompt\[0\]\}/);
  });

  it('userTemplate: absent or "" is the defaults (null) for the CLI and the page alike; other text is checked', () => {
    expect(userTemplate(undefined)).toBeNull();
    expect(userTemplate('')).toBeNull();
    expect(userTemplate('Q: {prompt}')).toBe('Q: {prompt}');
    // White space alone is a template without {prompt}, as any other text without it.
    expect(() => userTemplate('  ')).toThrow(
      'the template must hold {prompt}, where each row goes',
    );
    expect(() => userTemplate('{question}')).toThrow(/may use only \{prompt\} and \{choices\}/);
    // null means the defaults: a choice row gets the ARC layout, a free row its prompt as it is.
    const row = { id: 'a', line: 1, prompt: 'Sky?', choices: ['green', 'blue'], answer: 'B' };
    const t = userTemplate('');
    expect(userSetItem(row, t === null ? {} : { template: t }).user).toBe(
      'Answer the question below by choosing the correct choice.\n\nSky?\n\nA: green\nB: blue\n\n' +
        'You must respond with the letter corresponding to the correct choice without any explanation.',
    );
  });
});

describe('userTemplateNote', () => {
  it('says when "\\n" is a backslash and an n, or choice rows are asked without {choices}', () => {
    // What a shell passes for --template "Q: {prompt}\n{choices}": a backslash, then n.
    const shell = 'Q: {prompt}\\n{choices}';
    expect(shell).toHaveLength(22);
    expect(userTemplateNote(shell, 0)).toMatch(
      /^the template holds "\\n" as two characters \(a backslash and a letter\), not a line break/,
    );
    expect(userTemplateNote('{prompt}\\t', 0)).toMatch(/"\\t" as two characters .*not a tab/);
    expect(userTemplateNote('Q: {prompt}', 3)).toBe(
      'the template has no {choices}: the 3 multiple-choice rows are asked without their choices',
    );
    expect(userTemplateNote('Q: {prompt} {{choices}}', 1)).toMatch(/no \{choices\}/);
    for (const [template, choiceRows] of [
      ['Q: {prompt}\n{choices}', 5],
      ['Q: {prompt}', 0],
      ['{prompt} {{{choices}}}', 2],
    ] as const) {
      expect(userTemplateNote(template, choiceRows)).toBeNull();
    }
  });
});

describe('renderItemPrompt', () => {
  const demo =
    '{{ bos_token }}{% for message in messages %}<|{{ message.role }}|>{{ message.content }}<|end|>{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}';
  it('the chat template gets the empty system message and the user turn; the prefill follows', () => {
    const item = benchmarkItem(BENCHMARKS.gsm8k, { question: 'Q', answer: '#### 1' }, '0');
    const prompt = renderItemPrompt(item, demo, { bosToken: '<s>' });
    const direct = new Template(demo).render({
      messages: [
        { role: 'system', content: '' },
        { role: 'user', content: item.user },
      ],
      bos_token: '<s>',
      add_generation_prompt: true,
    });
    expect(prompt).toBe(`${direct}Let's think step by step.`);
    expect(prompt).toBe(
      "<s><|system|><|end|><|user|>Please answer the following question: Q\n\n<|end|><|assistant|>Let's think step by step.",
    );
  });
});
