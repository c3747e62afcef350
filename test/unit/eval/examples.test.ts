/** Example sets (src/core/eval/examples.ts): the two row kinds, both formats, and every refusal. */
import { describe, expect, it, vi } from 'vitest';
import { T2LError } from '../../../src/core/errors';
import {
  MAX_EXAMPLE_BYTES,
  checkExampleFileSize,
  decodeExampleBytes,
  parseExamples,
} from '../../../src/core/eval/examples';
import { MAX_ROW_VALUES } from '../../../src/core/eval/json-row';
import { MAX_JSON_DEPTH } from '../../../src/core/json';
import { userSetItem } from '../../../src/core/eval/protocol';

const jsonl = (...rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n');
const refuse = (text: string, pattern: RegExp, source = 'set.jsonl', maxRows?: number) => {
  let err: unknown;
  try {
    parseExamples(text, { source, ...(maxRows ? { maxRows } : {}) });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(T2LError);
  expect((err as T2LError).code).toBe('bad-input');
  expect((err as T2LError).message).toMatch(pattern);
};

describe('parseExamples: JSON Lines', () => {
  it('free and multiple-choice rows; the answer as letter, index or text becomes the letter', () => {
    const set = parseExamples(
      jsonl(
        { prompt: 'What is 2+2?', answer: '4' },
        { id: 7, prompt: 'Sky?', choices: ['green', 'blue', 'red'], answer: 'b' },
        { prompt: 'Q', choices: ['x', 'y'], answer: 0 },
        { prompt: 'Q', choices: ['x', 'y', 'z'], answer: '2' },
        { prompt: 'Q', choices: ['cat', 'dog'], answer: 'dog' },
      ) + '\n\n',
      { source: 'set.jsonl' },
    );
    expect(set.format).toBe('jsonl');
    expect(set.examples).toEqual([
      { id: 'line 1', line: 1, prompt: 'What is 2+2?', answer: '4' },
      { id: '7', line: 2, prompt: 'Sky?', choices: ['green', 'blue', 'red'], answer: 'B' },
      { id: 'line 3', line: 3, prompt: 'Q', choices: ['x', 'y'], answer: 'A' },
      { id: 'line 4', line: 4, prompt: 'Q', choices: ['x', 'y', 'z'], answer: 'C' },
      { id: 'line 5', line: 5, prompt: 'Q', choices: ['cat', 'dog'], answer: 'B' },
    ]);
  });

  it('blank lines keep the line numbers of later rows; a BOM and CRLF are fine', () => {
    const set = parseExamples(`\uFEFF\r\n${jsonl({ prompt: 'a', answer: 'b' })}\r\n`, {
      source: 'x.jsonl',
    });
    expect(set.examples[0]!.line).toBe(2);
  });

  it('refusals name the line and the field', () => {
    refuse(
      `${jsonl({ prompt: 'a', answer: 'b' })}\n{"prompt": "a", answer}`,
      /set\.jsonl: line 2: not valid JSON/,
    );
    refuse(jsonl({ prompt: 'a', answer: 'b' }, { prompt: 'c' }), /line 2, field "answer": missing/);
    refuse(jsonl({ answer: 'c' }), /line 1, field "prompt": missing/);
    refuse(
      jsonl({ prompt: 'a', answer: 'E', choices: ['p', 'q', 'r'] }),
      /line 1, field "answer": "E" is not among the 3 choices/,
    );
    refuse(
      jsonl({ prompt: 'a', answer: 3, choices: ['p', 'q', 'r'] }),
      /line 1, field "answer": 3 is not among/,
    );
    refuse(
      jsonl({ prompt: 'a', answer: '1', choices: ['1', '0'] }),
      /field "answer": "1" is ambiguous/,
    );
    refuse(
      jsonl({ prompt: 'a', answer: 'A', choices: ['only one'] }),
      /field "choices": expected at least 2 choices/,
    );
    refuse(
      jsonl({ prompt: 'a', answer: 'A', choices: 'p|q' }),
      /field "choices": expected an array of strings/,
    );
    refuse(jsonl({ prompt: ' ', answer: 'x' }), /field "prompt": must not be empty/);
    refuse(jsonl({ prompt: 'a', answer: { x: 1 } }), /field "answer": expected a string/);
    refuse('7', /line 1: expected a JSON object/);
    refuse('', /set\.jsonl: the file is empty/);
    refuse('\n  \n', /the file is empty/);
  });

  it('pasted text is called text, and its size counted in characters (review 11)', () => {
    const pasted = { source: 'pasted examples', kind: 'pasted text' as const };
    expect(() => parseExamples(' \n', pasted)).toThrow(
      /^pasted examples: the pasted text is empty$/,
    );
    const big = 'x'.repeat(MAX_EXAMPLE_BYTES + 1);
    expect(() => parseExamples(big, pasted)).toThrow(
      new RegExp(
        `^pasted examples: the pasted text is ${MAX_EXAMPLE_BYTES + 1} characters, more than the ${MAX_EXAMPLE_BYTES} accepted`,
      ),
    );
    expect(() => parseExamples(big, { source: 'set.jsonl' })).toThrow(
      /^set\.jsonl: the file is \d+ characters/,
    );
  });

  it('too many rows: refused at the first row over the limit, naming its line', () => {
    const rows = Array.from({ length: 6 }, () => ({ prompt: 'p', answer: 'a' }));
    refuse(jsonl(...rows), /line 6: more than 5 rows/, 'set.jsonl', 5);
    expect(
      parseExamples(jsonl(...rows.slice(0, 5)), { source: 's.jsonl', maxRows: 5 }).examples,
    ).toHaveLength(5);
  });
});

describe('parseExamples: CSV', () => {
  it('free rows, choice columns A.., a choices column, quoted newlines and their line numbers', () => {
    const csv = [
      'id,prompt,answer,A,B,C',
      'q1,"Two',
      'lines",yes,,,',
      '',
      'q2,Pick one,C,red,green,blue',
      'q3,Pick,1,red,green,',
    ].join('\n');
    const set = parseExamples(csv, { source: 'set.csv' });
    expect(set.format).toBe('csv');
    expect(set.examples).toEqual([
      { id: 'q1', line: 2, prompt: 'Two\nlines', answer: 'yes' },
      { id: 'q2', line: 5, prompt: 'Pick one', choices: ['red', 'green', 'blue'], answer: 'C' },
      { id: 'q3', line: 6, prompt: 'Pick', choices: ['red', 'green'], answer: 'B' },
    ]);
    const json = parseExamples('prompt,answer,choices\nP,b,"[""x"",""y""]"\n', { source: 's.csv' });
    expect(json.examples[0]).toMatchObject({ choices: ['x', 'y'], answer: 'B', line: 2 });
  });

  it('refusals name the line and the field', () => {
    refuse(
      'question,answer\nq,a\n',
      /set\.csv: line 1: the CSV header must name the columns "prompt" and "answer"/,
      'set.csv',
    );
    refuse('prompt,answer\nq,a\n\nq2,\n', /set\.csv: line 4, field "answer": missing/, 'set.csv');
    refuse(
      'prompt,answer,A,B\nq,D,x,y\n',
      /line 2, field "answer": "D" is not among the 2 choices/,
      'set.csv',
    );
    refuse('prompt,answer\nq,a,extra\n', /line 2: not valid CSV/, 'set.csv');
    refuse(
      'prompt,answer,choices\nq,a,[x\n',
      /line 2, field "choices": expected a JSON array/,
      'set.csv',
    );
    refuse('prompt,answer\n', /no example rows/, 'set.csv');
    // Two columns of one name: which is the answer is ambiguous (papaparse would rename one).
    refuse(
      'prompt,answer,answer\nq,a,b\n',
      /set\.csv: line 1: the CSV header names the column "answer" twice/,
      'set.csv',
    );
    refuse('prompt,prompt,answer\nq,r,a\n', /the column "prompt" twice/, 'set.csv');
    const many = ['prompt,answer', ...Array.from({ length: 4 }, (_, i) => `p${i},a`)].join('\n');
    refuse(many, /line 5: more than 3 rows/, 'set.csv', 3);
  });
});

describe('parseExamples: rows that looked fine but were not (issue 21 leftovers)', () => {
  it('choices given twice: a choices cell and columns A.. in CSV, fields A/B in JSON Lines', () => {
    refuse(
      'prompt,answer,choices,A,B\nq,A,"[""x"",""y""]",p,q\n',
      /set\.csv: line 2, field "choices": the row has both a "choices" cell and choice columns A, B/,
      'set.csv',
    );
    // One of them filled per row is fine, in the same file.
    const csv = parseExamples('prompt,answer,choices,A,B\nq,B,"[""x"",""y""]",,\nr,A,,p,q\n', {
      source: 's.csv',
    });
    expect(csv.examples.map((e) => e.choices)).toEqual([
      ['x', 'y'],
      ['p', 'q'],
    ]);
    refuse(
      jsonl({ prompt: 'q', choices: ['x', 'y'], A: 'p', B: 'q', answer: 'A' }),
      /line 1, field "A": the row has both "choices" and choice fields A, B/,
    );
    // Without "choices", fields A and B would have made it a free row answered "A".
    refuse(
      jsonl({ prompt: 'q', A: 'p', B: 'q', answer: 'A' }),
      /line 1, field "A": choices go in "choices" as an array of strings/,
    );
  });

  it('choice columns with a gap: refused, not cut at the gap nor read as a free row', () => {
    // Cut at the empty C, this row would have been scored as a 2-choice question without "w".
    refuse(
      'prompt,answer,A,B,C,D\nq,B,x,y,,w\n',
      /set\.csv: line 2, field "C": is empty while column D is filled; write the choices in consecutive columns from A/,
      'set.csv',
    );
    // With A empty, the row would have been a free row whose answer is the text "B".
    refuse(
      'prompt,answer,A,B,C\nq,B,,y,z\n',
      /line 2, field "A": is empty while column B/,
      'set.csv',
    );
    refuse(
      'prompt,answer,A,B,C,D\nq,C,x,,z,\n',
      /line 2, field "B": is empty while column C/,
      'set.csv',
    );
    // Trailing empty cells still end the list.
    const ok = parseExamples('prompt,answer,A,B,C,D\nq,B,x,y,,\n', { source: 's.csv' });
    expect(ok.examples[0]!.choices).toEqual(['x', 'y']);
  });

  it('two rows of one id are refused (results name rows by id)', () => {
    refuse(
      jsonl({ id: 'q1', prompt: 'a', answer: 'b' }, { id: 'q1', prompt: 'c', answer: 'd' }),
      /set\.jsonl: line 2, field "id": "q1" is also the id of line 1; give each row its own id/,
    );
    // A number and the same digits as a string name one row in the results.
    refuse(
      jsonl({ id: 7, prompt: 'a', answer: 'b' }, { id: '7', prompt: 'c', answer: 'd' }),
      /line 2, field "id": "7" is also the id of line 1/,
    );
    // A given id equal to another row's default name.
    refuse('id,prompt,answer\n,a,b\nline 2,c,d\n', /line 3, field "id": "line 2"/, 'set.csv');
  });

  it('bytes that are not UTF-8: UTF-16 named by its mark, else the line and byte of the first bad one', () => {
    const enc = (t: string) => new TextEncoder().encode(t);
    expect(decodeExampleBytes(enc('{"prompt": "é"}\n'), 'set.jsonl')).toBe('{"prompt": "é"}\n');
    const utf16le = new Uint8Array([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00]);
    const utf16be = new Uint8Array([0xfe, 0xff, 0x00, 0x7b, 0x00, 0x7d]);
    for (const b of [utf16le, utf16be]) {
      expect(() => decodeExampleBytes(b, 'set.jsonl')).toThrow(
        'set.jsonl: UTF-16 text (it starts with a UTF-16 byte-order mark); save it as UTF-8',
      );
    }
    // Latin-1 "é" (0xe9) on line 3: a 3-byte lead followed by ASCII.
    const latin1 = new Uint8Array([...enc('prompt,answer\nq,a\nqu'), 0xe9, ...enc(',a\n')]);
    expect(() => decodeExampleBytes(latin1, 'set.csv')).toThrow(
      'set.csv: line 3: not UTF-8 text (bytes e9 2c 61 0a at byte 3 of the line); save the file as UTF-8',
    );
    // A lone continuation byte at the start, and a sequence cut at the end of the file.
    expect(() => decodeExampleBytes(new Uint8Array([0x80, 0x41]), 's')).toThrow(
      's: line 1: not UTF-8 text (bytes 80 41 at byte 1 of the line)',
    );
    expect(() => decodeExampleBytes(new Uint8Array([0x41, 0x0a, 0x42, 0xc3]), 's')).toThrow(
      's: line 2: not UTF-8 text (bytes c3 at byte 2 of the line)',
    );
  });

  it('a number too large to hold (1e400) is named as such, not as "expected a number"', () => {
    refuse(
      '{"prompt": "a", "answer": 1e400}',
      /line 1, field "answer": is a number too large to hold \(it reads as infinity\)/,
    );
    refuse(
      '{"id": -1e999, "prompt": "a", "answer": "b"}',
      /line 1, field "id": is a number too large/,
    );
  });

  it('a whole number past 2^53 (id or answer) is refused: JSON would change its last digits', () => {
    refuse(
      '{"id": 12345678901234567890, "prompt": "q", "answer": "a"}',
      /^set\.jsonl: line 1, field "id": is a whole number beyond 9007199254740991 \(2\^53 - 1\), which a JSON number cannot hold exactly \(it reads as 12345678901234567000\); write it as a string/,
    );
    refuse(
      '{"prompt": "q", "answer": 9007199254740993}',
      /line 1, field "answer": is a whole number beyond/,
    );
    const set = parseExamples(
      '{"id": 9007199254740991, "prompt": "q", "answer": 9007199254740991}\n{"id": "12345678901234567890", "prompt": "q", "answer": 0.5}',
      { source: 's.jsonl' },
    );
    expect(set.examples.map((e) => [e.id, e.answer])).toEqual([
      ['9007199254740991', '9007199254740991'],
      ['12345678901234567890', '0.5'],
    ]);
  });

  it('a null field is named as null, not as missing', () => {
    refuse(
      jsonl({ prompt: 'a', answer: 'b' }, { prompt: 'q', answer: null }),
      /set\.jsonl: line 2, field "answer": is null; expected a string, or a number/,
    );
    refuse(
      jsonl({ prompt: null, answer: 'b' }),
      /line 1, field "prompt": is null; expected a string/,
    );
    refuse(
      jsonl({ prompt: 'q', choices: null, answer: 'b' }),
      /line 1, field "choices": is null; expected an array of strings/,
    );
  });

  it('a blank answer is refused, in JSON Lines and in CSV', () => {
    refuse(jsonl({ prompt: 'q', answer: '   ' }), /line 1, field "answer": must not be blank/);
    refuse(jsonl({ prompt: 'q', answer: '\t\n' }), /line 1, field "answer": must not be blank/);
    refuse('prompt,answer\nq,"  "\n', /line 2, field "answer": must not be blank/, 'set.csv');
  });

  it('a number answer without choices is a numeric answer, matched by the numeric rule', () => {
    const set = parseExamples(
      jsonl({ prompt: 'How many?', answer: 1 }, { prompt: 'Half', answer: 2.5 }),
      {
        source: 'n.jsonl',
      },
    );
    expect(set.examples).toEqual([
      { id: 'line 1', line: 1, prompt: 'How many?', answer: '1', numeric: true },
      { id: 'line 2', line: 2, prompt: 'Half', answer: '2.5', numeric: true },
    ]);
    expect(userSetItem(set.examples[0]!)).toMatchObject({ rule: 'number', expected: '1' });
    // A string "1" stays a free answer (matched as text, as the reference's get_accuracy).
    const text = parseExamples(jsonl({ prompt: 'How many?', answer: '1' }), { source: 't.jsonl' });
    expect(text.examples[0]!.numeric).toBeUndefined();
    expect(userSetItem(text.examples[0]!).rule).toBe('free');
    // The numeric rule reads numbers without their sign: a negative target could never match.
    refuse(jsonl({ prompt: 'q', answer: -5 }), /line 1, field "answer": -5 cannot be matched/);
    // With choices a number is still an index, and must be whole.
    refuse(
      jsonl({ prompt: 'q', choices: ['x', 'y'], answer: 0.5 }),
      /line 1, field "answer": 0\.5 is not a choice index/,
    );
  });

  it('NUL and lone surrogates are refused, naming the line and field', () => {
    refuse(
      jsonl({ prompt: 'ok', answer: 'b' }, { prompt: 'a\u0000b', answer: 'x' }),
      /line 2, field "prompt": contains a NUL character \(U\+0000\) at character 2/,
    );
    refuse(
      jsonl({ prompt: 'q', answer: 'x\uD800' }),
      /field "answer": contains a lone UTF-16 surrogate \(U\+D800\)/,
    );
    refuse(
      jsonl({ prompt: 'q', choices: ['a', '\uDC00b'], answer: 'A' }),
      /field "choices\.1": contains a lone UTF-16 surrogate \(U\+DC00\) at character 1/,
    );
    refuse(jsonl({ id: '\u0000', prompt: 'q', answer: 'x' }), /field "id": contains a NUL/);
    refuse('prompt,answer\nq\u0000,a\n', /line 2, field "prompt": contains a NUL/, 'set.csv');
    // A pair is a character: 😀 is fine.
    expect(
      parseExamples(jsonl({ prompt: 'q \uD83D\uDE00', answer: 'x' }), { source: 's.jsonl' })
        .examples,
    ).toHaveLength(1);
  });

  it('a JSON array gets a hint to write JSON Lines', () => {
    const rows = [
      { prompt: 'a', answer: 'b' },
      { prompt: 'c', answer: 'd' },
    ];
    const hint = /line 1: this looks like a JSON array; write one object per line \(JSON Lines\)/;
    refuse(JSON.stringify(rows), hint, 'set.json');
    refuse(JSON.stringify(rows, null, 2), hint, 'set.jsonl');
    // Pasted, without a file name to tell the format.
    refuse(JSON.stringify(rows, null, 2), /pasted: line 1: this looks like a JSON array/, 'pasted');
  });
});

describe('parseExamples: what JSON.parse would let through (json-row.ts)', () => {
  const ok = { prompt: 'q', answer: 'a' };

  it('a key twice in one object is refused naming the line and the key, at any depth', () => {
    refuse(
      `${JSON.stringify(ok)}\n{"prompt": "q", "answer": "a", "answer": "b"}`,
      /^set\.jsonl: line 2, field "answer": given twice in one object/,
    );
    refuse(
      '{"prompt": "q", "answer": "a", "meta": {"k": 1, "k": 2}}',
      /line 1, field "meta\.k": given twice in one object/,
    );
    refuse('{"prompt": "q", "answer": "a", "": 1, "": 2}', /line 1: the key "" is given twice/);
    refuse(
      '{"prompt": "q", "answer": "a", "m": {"": 1, "": 2}}',
      /line 1, field "m": the key "" is given twice/,
    );
    refuse(
      'prompt,answer,choices\nq,A,"[""x"", {""a"": 1, ""a"": 2}]"\n',
      /line 2, field "choices\.1\.a": given twice/,
      'set.csv',
    );
  });

  it('otherwise JSON.parse’s reading: strict JSON, its numbers and escapes', () => {
    for (const line of [
      '{"prompt": "q", "answer": "a"} // note',
      '{"prompt": "q", /* note */ "answer": "a"}',
      '{"prompt": "q", "answer": "a",}',
      '{"prompt": "q", "choices": ["x", "y",], "answer": "A"}',
      // No-break space between tokens: whitespace to some readers, not to JSON.
      '{"prompt": "q",\u00a0"answer": "a"}',
      "{'prompt': 'q', 'answer': 'a'}",
      '{"prompt": "q", "answer": 01}',
    ]) {
      refuse(line, /^set\.jsonl: line 1: not valid JSON \(/);
    }
    const set = parseExamples(
      jsonl({ prompt: 'caf\u00e9 \u{1F600}', answer: 1.0 }) +
        '\n{"prompt": "tab\\there \\u00e9", "answer": 2.50e1}',
      { source: 's.jsonl' },
    );
    expect(set.examples.map((e) => [e.prompt, e.answer, e.numeric])).toEqual([
      ['caf\u00e9 \u{1F600}', '1', true],
      ['tab\there \u00e9', '25', true],
    ]);
  });

  it('a NUL byte is named as a NUL character (U+0000), with its field where it is in one', () => {
    refuse(
      `${JSON.stringify(ok)}\n\u0000`,
      /^set\.jsonl: line 2: contains a NUL character \(U\+0000\) at character 1; a JSON Lines row is text/,
    );
    refuse(
      `${JSON.stringify(ok)}\n{"prompt": "a\u0000b", "answer": "x"}`,
      /^set\.jsonl: line 2, field "prompt": contains a NUL character \(U\+0000\) at character 2/,
    );
    refuse(
      `{"prompt": "q", "answer": "a"}\u0000`,
      /line 1: contains a NUL character \(U\+0000\) at character 31/,
    );
  });

  it('other fields are allowed and not read, null among them, but are text: a NUL or lone surrogate is refused', () => {
    const set = parseExamples(
      jsonl(
        { ...ok, category: 'geo', source: null, tags: ['a', 'b'], meta: { level: 2, x: null } },
        { prompt: 'r', answer: 'b', note: '' },
      ),
      { source: 's.jsonl' },
    );
    expect(set.examples).toEqual([
      { id: 'line 1', line: 1, prompt: 'q', answer: 'a' },
      { id: 'line 2', line: 2, prompt: 'r', answer: 'b' },
    ]);
    refuse(
      jsonl({ ...ok, meta: { note: 'x\u0000' } }),
      /line 1, field "meta\.note": contains a NUL character \(U\+0000\) at character 2/,
    );
    refuse(
      jsonl({ ...ok, tags: ['a', '\uD800'] }),
      /line 1, field "tags\.1": contains a lone UTF-16 surrogate \(U\+D800\)/,
    );
    refuse(
      jsonl({ ...ok, meta: { ['n\u0000']: 1 } }),
      /line 1, field "meta": the key "n\\u0000" contains a NUL character \(U\+0000\) at character 2/,
    );
    refuse('prompt,answer,note\nq,a,x\u0000\n', /line 2, field "note": contains a NUL/, 'set.csv');
    // A null in a field that is read is still refused.
    refuse(jsonl({ prompt: 'q', answer: 'a', id: null }), /line 1, field "id": is null/);
  });

  it('nesting and the number of values in a row are bounded before the row is parsed', () => {
    const nest = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
    // The row is level 1: MAX_JSON_DEPTH - 1 arrays inside it are the most.
    const deepest = `{"prompt": "q", "answer": "a", "x": ${nest(MAX_JSON_DEPTH - 1)}}`;
    expect(parseExamples(deepest, { source: 's.jsonl' }).examples).toHaveLength(1);
    refuse(
      `${JSON.stringify(ok)}\n{"prompt": "q", "answer": "a", "x": ${nest(MAX_JSON_DEPTH)}}`,
      new RegExp(`line 2, field "x": nested more than ${MAX_JSON_DEPTH} levels deep`),
    );
    // The row object and its two strings are 3 values; a list of the rest is 1 + n.
    const wide = (n: number) => jsonl({ ...ok, x: Array<number>(n).fill(0) });
    expect(parseExamples(wide(MAX_ROW_VALUES - 4), { source: 's.jsonl' }).examples).toHaveLength(1);
    refuse(
      wide(MAX_ROW_VALUES - 3),
      new RegExp(`line 1, field "x": the row holds more than ${MAX_ROW_VALUES} JSON values`),
    );
    refuse(
      `prompt,answer,choices\nq,A,${nest(MAX_JSON_DEPTH + 1)}\n`,
      new RegExp(`line 2, field "choices\\.0": nested more than ${MAX_JSON_DEPTH} levels`),
      'set.csv',
    );
  });

  it('a 16 MiB row of nested arrays is refused at the bound, without JSON.parse building it', () => {
    const half = (MAX_EXAMPLE_BYTES - 64) / 2;
    const text = `{"prompt": "q", "answer": "a", "x": ${'['.repeat(half)}${']'.repeat(half)}}`;
    expect(text.length).toBeLessThanOrEqual(MAX_EXAMPLE_BYTES);
    const parse = vi.spyOn(JSON, 'parse');
    try {
      refuse(
        text,
        new RegExp(
          `^big\\.jsonl: line 1, field "x": nested more than ${MAX_JSON_DEPTH} levels deep`,
        ),
        'big.jsonl',
      );
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
  });
});

describe('checkExampleFileSize', () => {
  it('refuses empty and over-large files by their declared size, before reading', () => {
    expect(() => checkExampleFileSize(0, 'a.csv')).toThrow(/a\.csv: the file is empty/);
    expect(() => checkExampleFileSize(100 * 1024 * 1024, 'big.jsonl')).toThrow(
      /big\.jsonl: the file is 104857600 bytes, more than the 16777216 bytes/,
    );
    expect(() => checkExampleFileSize(MAX_EXAMPLE_BYTES, 'ok.jsonl')).not.toThrow();
  });
});

describe('parseExamples: CSV line numbers are the file’s lines (review 11)', () => {
  it('after a quoted line break in the header, and with CR, CRLF or leading blank lines', () => {
    // The header's third column holds a line break: the first row starts on line 3.
    refuse(
      'prompt,answer,"notes\non two lines"\nq,,n\n',
      /set\.csv: line 3, field "answer": missing/,
      'set.csv',
    );
    refuse(
      'prompt,answer,"notes\r\non two lines"\r\nq,a,n\r\nq2,,n\r\n',
      /set\.csv: line 4, field "answer": missing/,
      'set.csv',
    );
    // Old Mac line ends ("\r" only): lines 1 (header), 2, 3 (blank), 4.
    refuse('prompt,answer\rq,a\r\rq2,\r', /set\.csv: line 4, field "answer": missing/, 'set.csv');
    // A quoted "\r" inside a row of a CR file still counts as a line of the file.
    refuse(
      'prompt,answer\r"two\rlines",a\rq2,\r',
      /set\.csv: line 4, field "answer": missing/,
      'set.csv',
    );
    const cr = parseExamples('prompt,answer\r\rq,a\r"x\ry",b\r', { source: 'set.csv' });
    expect(cr.examples.map((e) => e.line)).toEqual([3, 4]);
    // Blank lines before the header: the header is on line 3, its rows after it.
    refuse(
      '\n\nquestion,answer\nq,a\n',
      /set\.csv: line 3: the CSV header must name the columns "prompt" and "answer"/,
      'set.csv',
    );
    refuse(
      '\n\nprompt,answer\nq,a\n\nq2,\n',
      /set\.csv: line 6, field "answer": missing/,
      'set.csv',
    );
    // Bytes that are not UTF-8, in a CR file and in a CRLF file: line 3.
    for (const nl of ['\r', '\r\n']) {
      const bytes = new Uint8Array([
        ...new TextEncoder().encode(['prompt,answer', 'q,a', 'qu'].join(nl)),
        0xe9,
        ...new TextEncoder().encode(`,a${nl}`),
      ]);
      expect(() => decodeExampleBytes(bytes, 'set.csv')).toThrow(
        'set.csv: line 3: not UTF-8 text (bytes e9 2c 61 0d at byte 3 of the line)',
      );
    }
    refuse(
      '\n\nprompt,answer,answer\nq,a,b\n',
      /set\.csv: line 3: the CSV header names the column "answer" twice/,
      'set.csv',
    );
  });
});

describe('parseExamples: CSV columns without a name (review 11)', () => {
  it('unnamed columns whose cells are all empty are allowed (a spreadsheet export: prompt,answer,,)', () => {
    const set = parseExamples('prompt,answer,,\nq,a,,\nq2,b,, \n', { source: 'set.csv' });
    expect(set.examples).toEqual([
      { id: 'line 2', line: 2, prompt: 'q', answer: 'a' },
      { id: 'line 3', line: 3, prompt: 'q2', answer: 'b' },
    ]);
    // In the middle too, and next to choice columns.
    const mid = parseExamples('prompt,,answer,A,B,\nq,,B,x,y,\n', { source: 'set.csv' });
    expect(mid.examples[0]).toMatchObject({ choices: ['x', 'y'], answer: 'B' });
  });

  it('an unnamed column holding a value is refused naming its position, line and value', () => {
    refuse(
      'prompt,answer,,\nq,a,,\nq2,b,,oops\n',
      /^set\.csv: line 3: column 4 has no name in the header \(line 1\) but holds "oops"; name the column, or delete it$/,
      'set.csv',
    );
    refuse(
      'prompt,,answer\nq,x,a\n',
      /line 2: column 2 has no name in the header \(line 1\) but holds "x"/,
      'set.csv',
    );
    // Not as a column "" named twice, nor as papaparse's renamed "_1".
    refuse('prompt,answer,,\nq,,,\n', /line 2, field "answer": missing/, 'set.csv');
  });

  it('a row of more or fewer fields than the header has columns names both counts', () => {
    refuse(
      'prompt,answer\nq,a,extra\n',
      /line 2: not valid CSV \(3 fields where the header, line 1, has 2 columns\)/,
      'set.csv',
    );
    refuse(
      'prompt,answer,,\nq,a\n',
      /line 2: not valid CSV \(2 fields where the header, line 1, has 4 columns\)/,
      'set.csv',
    );
  });
});

describe('parseExamples: lowercase choice columns (review 11)', () => {
  it('CSV columns a, b, c, d are the choices A, B, C, D (were dropped: the row read as a free answer)', () => {
    const set = parseExamples('prompt,answer,a,b,c,d\nSky?,b,green,blue,red,black\n', {
      source: 'set.csv',
    });
    expect(set.examples).toEqual([
      {
        id: 'line 2',
        line: 2,
        prompt: 'Sky?',
        choices: ['green', 'blue', 'red', 'black'],
        answer: 'B',
      },
    ]);
    // Messages name the columns as the file spells them.
    refuse(
      'prompt,answer,a,b,c\nq,a,x,,z\n',
      /line 2, field "b": is empty while column c is filled; write the choices in consecutive columns from a/,
      'set.csv',
    );
    refuse(
      'prompt,answer,choices,a,b\nq,a,"[""x"",""y""]",x,y\n',
      /field "choices": the row has both a "choices" cell and choice columns/,
      'set.csv',
    );
  });

  it('header names: spaces around them trimmed, the fields in any case (a hand-written or spreadsheet header)', () => {
    const set = parseExamples('Prompt, Answer , ID ,A, b\nSky?,b,s1,green,blue\n', {
      source: 'set.csv',
    });
    expect(set.examples).toEqual([
      { id: 's1', line: 2, prompt: 'Sky?', choices: ['green', 'blue'], answer: 'B' },
    ]);
    refuse(
      'prompt,answer,Prompt\nq,a,r\n',
      /set\.csv: line 1: the CSV header has both "prompt" and "Prompt", which name one column \(prompt\); keep one/,
      'set.csv',
    );
    // Other columns keep their names as written (read, not used).
    expect(parseExamples('prompt,answer,Notes\nq,a,n\n', { source: 'set.csv' }).examples).toEqual([
      { id: 'line 2', line: 2, prompt: 'q', answer: 'a' },
    ]);
  });

  it('a header with both A and a is refused: two columns for one choice', () => {
    refuse(
      'prompt,answer,A,B,a\nq,a,x,y,z\n',
      /set\.csv: line 1: the CSV header has both "A" and "a", which name one choice column \(A\); keep one/,
      'set.csv',
    );
  });

  it('JSON Lines fields a, b are refused like A, B (the choices go in "choices")', () => {
    refuse(
      jsonl({ prompt: 'q', answer: 'a', a: 'x', b: 'y' }),
      /line 1, field "a": choices go in "choices" as an array of strings/,
    );
    refuse(
      jsonl({ prompt: 'q', answer: 'a', choices: ['x', 'y'], b: 'y' }),
      /line 1, field "b": the row has both "choices" and choice fields/,
    );
  });
});

describe('parseExamples: a byte-order mark inside a JSON Lines file (review 11)', () => {
  it('one opening a line (cat a.jsonl b.jsonl, b saved with a BOM) is dropped, as at the start of the file', () => {
    const a = jsonl({ prompt: 'p1', answer: 'a1' }) + '\n';
    const b = '\uFEFF' + jsonl({ prompt: 'p2', answer: 'a2' }, { prompt: 'p3', answer: 'a3' });
    const set = parseExamples('\uFEFF' + a + b, { source: 'all.jsonl' });
    expect(set.examples.map((e) => [e.line, e.prompt])).toEqual([
      [1, 'p1'],
      [2, 'p2'],
      [3, 'p3'],
    ]);
    // Inside a string it is text (a zero-width no-break space), kept as it is.
    const kept = parseExamples(jsonl({ prompt: 'x\uFEFFy', answer: 'a' }), { source: 's.jsonl' });
    expect(kept.examples[0]!.prompt).toBe('x\uFEFFy');
  });

  it('one elsewhere outside a string is named, with its character, not shown as an invisible token', () => {
    refuse(
      '{"prompt": "p", "answer": "a"}\n{"prompt": "q",\uFEFF "answer": "b"}\n',
      /^all\.jsonl: line 2: not valid JSON: a byte order mark \(U\+FEFF, invisible\) at character 16; remove it$/,
      'all.jsonl',
    );
    // After an escaped quote inside a string, the string still ends where it ends.
    refuse(
      '{"prompt": "5\\" tall", "answer":\uFEFF "b"}',
      /line 1: not valid JSON: a byte order mark \(U\+FEFF, invisible\) at character 33/,
      'all.jsonl',
    );
  });
});

describe('parseExamples: pretty-printed JSON given as JSON Lines (review 11)', () => {
  const rows = [
    { prompt: 'a', answer: 'b' },
    { prompt: 'c {', answer: '"d' },
  ];
  const hint =
    /JSON Lines needs each object on one line, and this looks like pretty-printed JSON \(jq -c \. writes it one object per line\)/;

  it('an object over several lines gets the hint, naming the line it opens on', () => {
    refuse(
      JSON.stringify(rows[0], null, 2),
      /^set\.jsonl: line 1: not valid JSON: the object opened on this line is not closed on it \(/,
      'set.jsonl',
    );
    refuse(JSON.stringify(rows[0], null, 2), hint, 'set.jsonl');
    // A second object, pretty-printed after a good line; braces and quotes inside strings do not count.
    refuse(
      `${jsonl(rows[0])}\n${JSON.stringify(rows[1], null, 2)}`,
      /line 2: not valid JSON: the object opened/,
      'set.jsonl',
    );
    refuse(`${jsonl(rows[0])}\n{"prompt": "x }",\n"answer": "y"}`, hint, 'pasted');
  });

  it('a line that closes its object but is bad JSON otherwise gets no such hint', () => {
    let message = '';
    try {
      parseExamples('{"prompt": "a", "answer": "b",}', { source: 'set.jsonl' });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^set\.jsonl: line 1: not valid JSON \(/);
    expect(message).not.toMatch(/pretty-printed/);
  });

  it('an array keeps its hint, with the jq command that writes its objects one a line', () => {
    refuse(
      JSON.stringify(rows, null, 2),
      /line 1: this looks like a JSON array; write one object per line \(JSON Lines\).*jq -c '\.\[\]'/,
      'set.jsonl',
    );
  });
});

describe('parseExamples: joined files and masked CSV errors (review s11-rev21)', () => {
  it('a CSV header repeated further down (cat a.csv b.csv) is refused, not scored as a row', () => {
    // Before: the second header became an example {prompt: "prompt", answer: "answer"}, which
    // every model gets wrong: a silently lower accuracy.
    refuse(
      'prompt,answer\nq1,a1\nprompt,answer\nq2,a2\n',
      /^set\.csv: line 3: repeats the CSV header \(line 1\)/,
      'set.csv',
    );
    // Quoted the same way or not, with b.csv's byte-order mark opening it, with CRLF.
    refuse(
      'id,prompt,answer\r\n1,q1,a1\r\n\uFEFF"id","prompt","answer"\r\n2,q2,a2\r\n',
      /^set\.csv: line 3: repeats the CSV header \(line 1\).*cat a\.csv b\.csv/,
      'set.csv',
    );
    // b's columns in another order: still its header, not a row (answer "prompt", prompt "answer").
    refuse('prompt,answer\nq1,a1\nanswer,prompt\na2,q2\n', /^set\.csv: line 3: repeats/, 'set.csv');
    // A byte-order mark opening any other line is dropped too, as in JSON Lines.
    const bom = parseExamples('prompt,answer\nq1,a1\n\uFEFFq2,a2\n', { source: 'set.csv' });
    expect(bom.examples.map((e) => e.prompt)).toEqual(['q1', 'q2']);
    // A row that only shares some of the header's names is a row.
    const set = parseExamples('prompt,answer\nprompt,x\n', { source: 'set.csv' });
    expect(set.examples).toEqual([{ id: 'line 2', line: 2, prompt: 'prompt', answer: 'x' }]);
  });

  it("papaparse's delimiter guess failing does not hide the real error (an unclosed quote on line 3)", () => {
    // Before: "line 1: not valid CSV (Unable to auto-detect delimiting character; defaulted to ',')".
    refuse(
      'prompt,answer\nq1,a1\n"unterminated,a\nq3,a3\n',
      /^set\.csv: line 3: not valid CSV \(Quoted field unterminated\)$/,
      'set.csv',
    );
    refuse(
      'prompt\nq\n',
      /^set\.csv: line 1: the CSV header must name the columns "prompt" and "answer" \(found "prompt"\)$/,
      'set.csv',
    );
  });

  it('JSON Lines with old Mac line ends ("\\r" only) are read line by line, as an editor shows them', () => {
    // Before: the whole file was one line: "line 1: not valid JSON (Unexpected non-whitespace …)".
    const set = parseExamples(
      `${jsonl({ prompt: 'p1', answer: 'a1' })}\r\r${jsonl({ prompt: 'p2', answer: 'a2' })}\r`,
      { source: 'set.jsonl' },
    );
    expect(set.examples.map((e) => [e.line, e.prompt])).toEqual([
      [1, 'p1'],
      [3, 'p2'],
    ]);
    refuse(
      `${jsonl({ prompt: 'p1', answer: 'a1' })}\r${jsonl({ prompt: 'p2' })}\r`,
      /^set\.jsonl: line 2, field "answer": missing/,
    );
    // Mixed with CRLF and LF, the numbering is the CSV's and decodeExampleBytes' (one break each).
    refuse(
      `${jsonl({ prompt: 'p1', answer: 'a1' })}\r\n\n\r${jsonl({ prompt: 'p2' })}`,
      /^set\.jsonl: line 4, field "answer": missing/,
    );
  });
});
