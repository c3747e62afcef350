/**
 * Each matching rule of src/core/eval/matching.ts against a table of cases. The expected values are
 * what the reference's Python functions (SakanaAI/text-to-lora utils/eval_tasks.py, fishfarm
 * language_restricted_math.py) return for the same strings, worked out by hand from their source and
 * checked by running those functions under CPython 3 while writing this table.
 */
import { describe, expect, it } from 'vitest';
import {
  boolOf,
  choiceOf,
  extractAnswerNumber,
  gsm8kTarget,
  matchBool,
  matchChoice,
  matchFree,
  matchNumber,
  outputDecided,
  pyFloat,
  pyFloatRepr,
} from '../../../src/core/eval/matching';

describe('free answers: get_accuracy', () => {
  // [output, target, correct]
  const cases: Array<[string, string, boolean]> = [
    ['Paris', 'Paris', true],
    ['  paris.\n', 'Paris', true], // whitespace, then the strip set, then lowercase
    ['"Paris"', 'paris', true],
    ['(Paris)', 'PARIS', true],
    ['`Paris`:', 'Paris', true],
    ['Paris!', 'Paris', false], // "!" is not in the strip set
    ['Paris, France', 'Paris', false],
    ['\tParis\t', 'Paris', true], // str.strip() removes tabs first
    ['.\tParis', 'Paris', false], // the strip set has no tab: "\tparis" stays
    ['\u0085Paris\u001c', 'Paris', true], // Python whitespace that JavaScript's trim() lacks
    ['\uFEFFParis', 'Paris', false], // and one that trim() has but Python does not
    ['1', '1.0', true], // str(float("1")) == "1.0"
    ['1.0', '1', false], // one-way: str(float("1.0")) is "1.0", not "1"
    ['1.0', '1.0', true],
    [' 42\n', '42.0', true], // float() ignores the whitespace
    ['1_000', '1000.0', true], // float() takes underscores between digits
    ['1__000', '1000.0', false],
    ['1e16', '1e+16', true], // repr switches to exponent form at 1e16
    ['1e15', '1000000000000000.0', true],
    ['0.0001', '0.0001', true],
    ['0.00001', '1e-05', true],
    ['.5', '0.5', true],
    ['5.', '5.0', true],
    ['-0', '-0.0', true],
    ['nan', 'nan', true],
    ['-Infinity', '-inf', true],
    ['١٢', '12.0', true], // Arabic-Indic digits: float() reads them
    ['0x10', '16.0', false],
    // float() strips only ASCII white space (Py_ISSPACE) and non-ASCII white space (turned into
    // " " first), not U+001C–U+001F, which str.strip() does strip (CPython 3.11: ValueError).
    ['1\u001c', '1.0', false],
    ['\u001f1', '1.0', false],
    ['1\u0085', '1.0', true],
    ['1\u3000', '1.0', true],
    ['1\u000b', '1.0', true],
    ['', '', true],
    ['', 'x', false],
  ];
  it.each(cases)('%j vs %j → %s', (output, target, correct) => {
    expect(matchFree(output, target)).toBe(correct);
  });

  it('Python float() and str(float)', () => {
    expect(pyFloat(' +1_5.2_5e1_0 ')).toBe(15.25e10);
    expect(pyFloat('1.')).toBe(1);
    expect(pyFloat('.')).toBeNull();
    expect(pyFloat('1e')).toBeNull();
    expect(pyFloat('_1')).toBeNull();
    expect(pyFloat('1_')).toBeNull();
    expect(pyFloat('infinity')).toBe(Infinity);
    expect(pyFloat('1e400')).toBe(Infinity);
    const reprs: Array<[number, string]> = [
      [1, '1.0'],
      [0.1, '0.1'],
      [1 / 3, '0.3333333333333333'],
      [123456789012345680, '1.2345678901234568e+17'],
      [1e22, '1e+22'],
      [1.5e-7, '1.5e-07'],
      [2 ** -1074, '5e-324'],
      [1.7976931348623157e308, '1.7976931348623157e+308'],
      [-2.5, '-2.5'],
      [9999999999999998, '9999999999999998.0'],
    ];
    for (const [x, s] of reprs) expect(pyFloatRepr(x)).toBe(s);
  });
});

describe('choices: get_choice / get_choice_accuracy', () => {
  // [text, choice]
  const choices: Array<[string, string | null]> = [
    ['B', 'b'],
    ['b', 'b'],
    [' B) Paris', 'b'],
    ['(C)', 'c'],
    ['"D".', 'd'],
    ['`A`', 'a'],
    [':a', 'a'],
    ['The answer is B', 't'], // the first letter, whatever it is
    ['**B**', null],
    ['\nB', 'b'],
    ['(\nB', null], // after "(" the newline stays and comes first
    ['0', '0'],
    ['10', '1'], // "1" is tried before "10"
    ['2: the second', '2'],
    ['Ａ', null], // fullwidth A lowercases to fullwidth a, not in the list
    ['\u212A', 'k'], // KELVIN SIGN lowercases to ASCII k, in Python as here
    ['', null],
    ['...', null],
  ];
  it.each(choices)('%j → %j', (text, choice) => {
    expect(choiceOf(text)).toBe(choice);
  });

  // [output, target, correct]
  const cases: Array<[string, string, boolean]> = [
    ['B', 'B', true],
    ['b. Paris', 'B', true],
    ['C', 'B', false],
    ['Answer: B', 'B', false],
    ['1', '1', true],
    ['1', '0', false],
    ['Option 1', '1', false],
    ['**', '', true], // both name no choice: None == None in the reference
  ];
  it.each(cases)('%j vs %j → %s', (output, target, correct) => {
    expect(matchChoice(output, target)).toBe(correct);
  });
});

describe('BoolQ: get_bool_value_from_text / get_binary_accuracy_flex', () => {
  const values: Array<[string, boolean | null]> = [
    ['true', true],
    ['True', true],
    ['FALSE', false],
    ['yes', true],
    ['No.', false],
    ['1', true],
    ['0', false],
    ['false, not 1', true], // "1" is tested first
    ['10', true],
    ['I do not know', false], // "no" inside "not"
    ['positive', true],
    ['negative', false],
    ['invalid', true], // "valid" is inside "invalid" and tested first
    ['maybe', null],
    ['', null],
  ];
  it.each(values)('%j → %j', (text, value) => {
    expect(boolOf(text)).toBe(value);
  });

  const cases: Array<[string, string, boolean]> = [
    ['true', 'True', true],
    ['false', 'False', true],
    ['false', 'True', false],
    ['Yes, it is.', 'True', true],
    ['maybe', 'False', false], // no value: wrong, never None == None
    ['maybe', 'maybe', false],
  ];
  it.each(cases)('%j vs %j → %s', (output, target, correct) => {
    expect(matchBool(output, target)).toBe(correct);
  });
});

describe('GSM8K: extract_answer_number and the integer target', () => {
  const numbers: Array<[string, number | null]> = [
    ['The answer is 42.', 42],
    ['3 apples and 4 pears: 7', 7],
    ['It costs $1,250', 250], // the comma splits the number, as in the reference
    ['-5', 5], // no sign in the pattern
    ['3.14.15', 0.15], // matches "3.14" then ".15"
    ['x = .5', 0.5],
    ['٣٤', 34], // Python's \d is Unicode
    ['no numbers', null],
  ];
  it.each(numbers)('%j → %j', (text, n) => {
    expect(extractAnswerNumber(text)).toBe(n);
  });

  it("targets are the answer field's last number, truncated; matching compares numbers", () => {
    expect(gsm8kTarget('Natalia sold 48/2 = <<48/2=24>>24 clips.\n#### 72')).toBe(72);
    expect(gsm8kTarget('#### 7.9')).toBe(7);
    expect(matchNumber('so 72 in all', '72')).toBe(true);
    expect(matchNumber('so 72.0 in all', '72')).toBe(true);
    expect(matchNumber('72 then 73', '72')).toBe(false);
    expect(matchNumber('no idea', '72')).toBe(false);
    expect(matchNumber('no idea', '')).toBe(true); // None == None
  });
});

describe('outputDecided: stopping early never changes the result', () => {
  it('choice: fixed at the first character outside whitespace and the strip set', () => {
    expect(outputDecided('choice', '')).toBe(false);
    expect(outputDecided('choice', ' ("')).toBe(false);
    expect(outputDecided('choice', ' (B')).toBe(true);
    expect(outputDecided('choice', '\uFFFD')).toBe(false);
    expect(outputDecided('bool', 'false')).toBe(false);
    expect(outputDecided('bool', 'false 1')).toBe(true);
    expect(outputDecided('free', 'Paris')).toBe(false);
    expect(outputDecided('number', '42')).toBe(false);
  });

  it('for every prefix called decided, any continuation names the same choice', () => {
    const texts = [' B) x', '(c', '" d', '\n\tE', '(\nB', '. . a', '::9z', 'The B'];
    const tails = ['', ' more', 'A', '\n', ')', '1'];
    for (const t of texts) {
      for (let i = 0; i <= t.length; i++) {
        const prefix = t.slice(0, i);
        if (!outputDecided('choice', prefix)) continue;
        for (const tail of tails) expect(choiceOf(prefix + tail)).toBe(choiceOf(prefix));
      }
    }
  });
});
