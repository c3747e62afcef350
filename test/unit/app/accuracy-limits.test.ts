/**
 * The page's "Max answer tokens" field and `t2l eval --max-tokens` share one limit (core
 * MAX_ANSWER_TOKENS, review 11: the field stopped at 512 while the CLI took 4096). The CLI's side
 * is test/cli/eval.test.ts ("--max-tokens past the shared limit").
 */
import { describe, expect, it } from 'vitest';
import { answerTokensField, parseOwnExamples } from '../../../src/app/accuracy/accuracy-core';
import { MAX_ANSWER_TOKENS } from '../../../src/core/eval/protocol';

describe('the answer-token limit shared by the page and t2l eval', () => {
  it('is the reference’s 512 (vllm_eval.py: SamplingParams(max_tokens=2**9))', () => {
    expect(MAX_ANSWER_TOKENS).toBe(2 ** 9);
  });

  it('the field holds what it is given within 1…512, rounded; past it, the limit', () => {
    expect(answerTokensField('16')).toBe(16);
    expect(answerTokensField('512')).toBe(512);
    expect(answerTokensField('513')).toBe(512);
    expect(answerTokensField('4096')).toBe(512);
    expect(answerTokensField('12.6')).toBe(13);
    expect(answerTokensField('0')).toBe(1);
    expect(answerTokensField('-5')).toBe(1);
    expect(answerTokensField('')).toBe(1);
    expect(answerTokensField('abc')).toBe(1);
  });
});

describe('pasted examples', () => {
  it('an empty paste is named as pasted text, a picked file as a file', () => {
    const options = { maxTokens: 8, template: '', system: '' };
    expect(() => parseOwnExamples('', 'pasted examples', { ...options, pasted: true })).toThrow(
      'pasted examples: the pasted text is empty',
    );
    expect(() => parseOwnExamples('', 'set.csv', options)).toThrow('set.csv: the file is empty');
  });
});
