/**
 * One builtin call is one step of a render, so the step count and the size check on its result
 * come too late for a call that builds gigabytes by itself. These templates each make ONE such
 * call on values the budget allows; the render must refuse it before the call runs (the message
 * names the builtin: a refusal after the fact would name only the result's size).
 */
import { Template } from '@huggingface/jinja';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TEMPLATE_BUDGET,
  TemplateBudgetError,
  renderBounded,
} from '../../../src/core/llm/template-budget';

// The clock is stopped so that a slow machine cannot turn a size refusal into a time refusal, and
// the steps are many, so that the work charge (tested on its own below) does not stop the render
// before the builtin under test: each case checks the size bound alone.
const budget = { ...DEFAULT_TEMPLATE_BUDGET, now: () => 0, maxSteps: 1e9 };

/** A namespace `ns` whose `s` is `seed` doubled `times` times (2^22 characters: the most allowed). */
const big = (seed: string, times = 22) =>
  `{% set ns = namespace(s=${JSON.stringify(seed)}, l=[1]) %}{% for i in range(${times}) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}`;
/** `ns.l`: a list nested `levels` deep. */
const deep = (levels: number) =>
  `{% for i in range(${levels}) %}{% set ns.l = [ns.l] %}{% endfor %}`;

// 8192 copies of one 2048-character string of quotes: 17 Mi in weight, 33 Mi as JSON.
const list = `{% set ns.l = [ns.s] %}{% for i in range(13) %}{% set ns.l = ns.l + ns.l %}{% endfor %}`;

function refusal(template: string): string {
  try {
    renderBounded(new Template(template), {}, budget);
  } catch (e) {
    expect(e).toBeInstanceOf(TemplateBudgetError);
    return (e as Error).message;
  }
  throw new Error('rendered');
}

describe('builtins are refused before they build more than the budget', () => {
  const cases: [string, string, RegExp][] = [
    [
      'replace filter with an empty pattern',
      `${big('x')}{{ 'xy'|replace('', ns.s) }}`,
      /replace\(\) would build a string of more than 4194304/,
    ],
    [
      '.replace method with an empty pattern on a big string',
      `${big('x')}{{ ns.s.replace('', 'ab') }}`,
      /replace\(\) would build a string of more than 4194304/,
    ],
    [
      '.replace of a character by a longer string',
      `${big('x', 20)}{{ ns.s.replace('x', 'abcdefgh') }}`,
      /replace\(\) would build/,
    ],
    [
      '.split of a 4 Mi-character string',
      `${big('x')}{{ ns.s.split('x')|length }}`,
      /split\(\) would build a list of more than 20000 items/,
    ],
    [
      '.split on whitespace',
      `${big('a ', 21)}{{ ns.s.split()|length }}`,
      /split\(\) would build a list of more than 20000 items/,
    ],
    [
      'join of a big string with a separator',
      `${big('x', 21)}{{ ns.s|join(', ') }}`,
      /join would build a string of more than 4194304/,
    ],
    [
      'join of a short list with a big separator',
      `${big('x', 20)}{{ [1, 2, 3, 4, 5]|join(ns.s) }}`,
      /join would build/,
    ],
    [
      'indent of a string of newlines',
      `${big('\n', 21)}{{ ns.s|indent }}`,
      /indent would build a string of more than 4194304/,
    ],
    [
      'indent with a wide width',
      `${big('\n', 12)}{{ ns.s|indent(20000, true) }}`,
      /indent would build/,
    ],
    [
      'tojson(indent) of a deeply nested list',
      `${big('x', 1)}${deep(300)}{{ ns.l|tojson(indent=20000) }}`,
      /tojson would build a string of more than 4194304/,
    ],
    [
      'tojson with a big separator',
      `${big('x', 20)}{{ [1, 2, 3, 4, 5]|tojson(separators=(ns.s, ':')) }}`,
      /tojson would build/,
    ],
    [
      'tojson(ensure_ascii) of non-ASCII text (6 characters each)',
      `${big('é', 20)}{{ ns.s|tojson(ensure_ascii=true) }}`,
      /tojson would build/,
    ],
    [
      'a list printed whose JSON is far longer than it weighs',
      `${big('"', 11)}${list}{{ ns.l }}`,
      /printing a list or dict would build/,
    ],
    ['the same list joined with ~', `${big('"', 11)}${list}{{ ns.l ~ '' }}`, /"~" would build/],
    [
      'the same list through |string',
      `${big('"', 11)}${list}{{ ns.l|string }}`,
      /string would build/,
    ],
    [
      'strftime_now with a format of 32768 directives',
      `${big('%B', 15)}{{ strftime_now(ns.s) }}`,
      /strftime_now\(\) with more than 20000 directives/,
    ],
    [
      'a namespace that holds itself, printed',
      '{% set ns = namespace(a=1) %}{% set ns.me = ns %}{{ ns|tojson }}',
      /nested deeper than 400/,
    ],
  ];
  for (const [what, template, expected] of cases) {
    it(what, () => {
      expect(refusal(template)).toMatch(expected);
    });
  }

  it('the same builtins on ordinary values give the library’s own result', () => {
    const template =
      "{{ 'a-b-c'.replace('-', '+') }}|{{ 'a b  c'.split()|join(',') }}|{{ 'x\ny'|indent(2, true) }}|" +
      "{{ {'k': [1, 'é', {'z': none}]}|tojson(indent=2, ensure_ascii=true) }}|{{ [1, [2, 'q']] ~ '' }}|" +
      "{{ 'aaa'.replace('', '-', 2) }}|{{ [1, 2]|join(', ') }}|{{ {'a': 1} }}";
    const items = {};
    expect(renderBounded(new Template(template), items, budget)).toBe(
      new Template(template).render(items),
    );
  });
});

describe('a builtin over a long string or list costs steps by its size, before it runs', () => {
  const charged = { ...DEFAULT_TEMPLATE_BUDGET, now: () => 0 };
  for (const [what, call] of [
    ['a slice (copied through a list of characters)', 'ns.s[::-1]'],
    ['title (a callback per word)', 'ns.s|title'],
    ['a string method', 'ns.s.upper()'],
  ] as const) {
    it(what, () => {
      // A 1 Mi-character string (65,536 steps of work per call): four calls pass 200,000 steps.
      const t = `${big('a ', 19)}{% for i in range(4) %}{% set ns.t = ${call} %}{% endfor %}`;
      let message = '';
      try {
        renderBounded(new Template(t), {}, charged);
      } catch (e) {
        expect(e).toBeInstanceOf(TemplateBudgetError);
        message = (e as Error).message;
      }
      expect(message).toMatch(/more than 200000 steps/);
      // Three calls fit.
      expect(() =>
        renderBounded(new Template(t.replace('range(4)', 'range(2)')), {}, charged),
      ).not.toThrow();
    });
  }
});
