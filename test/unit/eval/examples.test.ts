/** Example sets (src/core/eval/examples.ts): the two row kinds, both formats, and every refusal. */
import { describe, expect, it } from 'vitest';
import { T2LError } from '../../../src/core/errors';
import {
  MAX_EXAMPLE_BYTES,
  checkExampleFileSize,
  parseExamples,
} from '../../../src/core/eval/examples';

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
    refuse(jsonl({ prompt: 'a', answer: 2 }), /field "answer": a number answer is a choice index/);
    refuse(jsonl({ prompt: ' ', answer: 'x' }), /field "prompt": must not be empty/);
    refuse(jsonl({ prompt: 'a', answer: { x: 1 } }), /field "answer": expected a string/);
    refuse('[1, 2]', /line 1: expected a JSON object/);
    refuse('', /set\.jsonl: the file is empty/);
    refuse('\n  \n', /the file is empty/);
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

describe('checkExampleFileSize', () => {
  it('refuses empty and over-large files by their declared size, before reading', () => {
    expect(() => checkExampleFileSize(0, 'a.csv')).toThrow(/a\.csv: the file is empty/);
    expect(() => checkExampleFileSize(100 * 1024 * 1024, 'big.jsonl')).toThrow(
      /big\.jsonl: the file is 104857600 bytes, more than the 16777216 bytes/,
    );
    expect(() => checkExampleFileSize(MAX_EXAMPLE_BYTES, 'ok.jsonl')).not.toThrow();
  });
});
