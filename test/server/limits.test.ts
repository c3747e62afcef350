/**
 * `t2l serve`'s limits exactly at their values, below HTTP: a request of exactly --max-batch rows
 * and a description of exactly --max-description-chars characters are taken, one more is refused
 * (400); the options' defaults are the ones docs/remote.md documents (read from its table here).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseInferRequest, type ModelIO } from '../../src/server/infer';
import { resolveOptions } from '../../src/server/options';

const E = 4;
const io: ModelIO = {
  name: 'm',
  taskEmbSize: E,
  inputs: [
    { name: 'task_emb', datatype: 'FP32', shape: [-1, E] },
    { name: 'description', datatype: 'BYTES', shape: [-1] },
  ],
  outputs: [{ name: 'q_proj.lora_A', datatype: 'FP32', shape: [-1, 1, 2, 3] }],
};
const limits = { maxBatch: 4, maxDescriptionChars: 10 };
const body = (input: Record<string, unknown>) =>
  new TextEncoder().encode(JSON.stringify({ inputs: [input] }));
const rows = (n: number) =>
  body({ name: 'task_emb', datatype: 'FP32', shape: [n, E], data: new Array(n * E).fill(0.5) });
const texts = (...t: string[]) =>
  body({ name: 'description', datatype: 'BYTES', shape: [t.length], data: t });

describe('a request exactly at a limit', () => {
  it('takes exactly --max-batch rows and refuses one more', () => {
    expect(parseInferRequest(rows(4), undefined, io, limits).n).toBe(4);
    expect(() => parseInferRequest(rows(5), undefined, io, limits)).toThrow(
      /a batch of 5 is more than this server takes in one request \(4, --max-batch\)/,
    );
    expect(parseInferRequest(texts('a', 'b', 'c', 'd'), undefined, io, limits).n).toBe(4);
  });

  it('takes a description of exactly --max-description-chars characters (code points)', () => {
    // Ten code points, eleven UTF-16 units: the emoji is one character.
    const ten = 'Solve 🧮 it';
    expect([...ten]).toHaveLength(10);
    const plan = parseInferRequest(texts(ten), undefined, io, limits);
    expect(plan.input).toEqual({ kind: 'description', texts: [ten] });
    expect(() => parseInferRequest(texts(`${ten}!`), undefined, io, limits)).toThrow(
      /description 0 has 11 characters; this server takes at most 10/,
    );
  });
});

describe('the options’ defaults', () => {
  it('are the values docs/remote.md documents', () => {
    const doc = readFileSync(join(import.meta.dirname, '../../docs/remote.md'), 'utf8');
    const documented = (option: string): string => {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${option}`));
      expect(row, `docs/remote.md lists ${option}`).toBeDefined();
      // Cells end at each '|' that is not escaped (the table writes `cpu\|cuda`).
      return row!
        .split(/(?<!\\)\|/)[2]!
        .trim()
        .replace(/`/g, '');
    };
    const o = resolveOptions({ modelsDir: '.' });
    expect(String(o.limits.maxBatch)).toBe(documented('--max-batch'));
    expect(String(o.limits.maxDescriptionChars)).toBe(documented('--max-description-chars'));
    expect(documented('--max-body')).toBe('4 MiB');
    expect(o.maxBody).toBe(4 * 2 ** 20);
    expect(String(o.queue)).toBe(documented('--queue'));
    expect(String(o.concurrency)).toBe(documented('--concurrency'));
    expect(String(o.timeoutMs)).toBe(documented('--timeout-ms'));
    expect(o.host).toBe(documented('--host'));
    expect(String(o.port)).toBe(documented('--port'));
    expect(o.backend).toBe(documented('--backend'));
  });
});
