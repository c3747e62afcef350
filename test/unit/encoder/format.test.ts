import { describe, expect, it } from 'vitest';
import { T2LError } from '../../../src/core/errors';
import { formatDescription } from '../../../src/core/encoder/format';

describe('formatDescription', () => {
  it('adds a dot after a final ASCII letter', () => {
    expect(formatDescription('Solve math problems')).toBe('Solve math problems.');
  });

  it('strips trailing and leading white space first', () => {
    expect(formatDescription('  Translate to French \n\t\r ')).toBe('Translate to French.');
  });

  it("strips what Python's str.strip() strips, not what trim() strips", () => {
    expect(formatDescription('\x1cSummarize\x1f\u3000')).toBe('Summarize.');
    expect(formatDescription('\x85\xa0\u2000word\u2028\u2029\u202f\u205f')).toBe('word.');
    // U+FEFF is not white space to Python: it stays, and it is not a letter.
    expect(formatDescription('Summarize\ufeff')).toBe('Summarize\ufeff');
  });

  it('adds no dot after digits, punctuation or emoji', () => {
    expect(formatDescription('Count to 10')).toBe('Count to 10');
    expect(formatDescription('Answer questions.')).toBe('Answer questions.');
    expect(formatDescription('Is this right?')).toBe('Is this right?');
    expect(formatDescription('Write a poem (short)')).toBe('Write a poem (short)');
    expect(formatDescription('Be nice 😀')).toBe('Be nice 😀');
  });

  it('adds a dot after any Unicode letter', () => {
    expect(formatDescription('Écris un résumé')).toBe('Écris un résumé.');
    expect(formatDescription('Straße')).toBe('Straße.');
    expect(formatDescription('Λύσε το πρόβλημα')).toBe('Λύσε το πρόβλημα.');
    expect(formatDescription('Реши задачу')).toBe('Реши задачу.');
    expect(formatDescription('翻译成中文')).toBe('翻译成中文.');
  });

  it('treats a final combining mark as not a letter', () => {
    expect(formatDescription('cafe\u0301')).toBe('cafe\u0301');
  });

  it('reads a final surrogate pair as one code point', () => {
    expect(formatDescription('bold \u{1D400}')).toBe('bold \u{1D400}.');
    expect(formatDescription('\u{1D400}')).toBe('\u{1D400}.');
  });

  it('refuses empty and white-space-only descriptions', () => {
    for (const text of ['', '   ', '\n\t', '\x1c\u3000']) {
      expect(() => formatDescription(text)).toThrow(T2LError);
      expect(() => formatDescription(text)).toThrow(
        'The task description is empty: describe in a sentence or two what the adapter should do.',
      );
    }
    try {
      formatDescription(' ');
    } catch (err) {
      expect((err as T2LError).code).toBe('bad-input');
    }
  });
});
