/**
 * JSON from outside nested 20 000 deep used to escape as a RangeError (the schema's value preview
 * and JSON.stringify recurse): every reader now refuses it as the project's error, naming the file.
 */
import { describe, expect, it } from 'vitest';
import { parseAdapterConfig } from '../../../src/core/checkpoint/adapter-config';
import { T2LError } from '../../../src/core/errors';
import { MAX_JSON_DEPTH, parseJsonBounded } from '../../../src/core/json';
import { parseManifest } from '../../../src/core/package/manifest';
import { readSafetensors } from '../../../src/core/adapter/safetensors';
import { preview } from '../../../src/core/schema';

const deep = (n: number, inner = '1') => '['.repeat(n) + inner + ']'.repeat(n);

/** The nesting depth of a parsed value, computed on the value (not on the text). */
function depthOf(v: unknown): number {
  if (Array.isArray(v)) return 1 + Math.max(0, ...v.map(depthOf));
  if (v && typeof v === 'object') return 1 + Math.max(0, ...Object.values(v).map(depthOf));
  return 0;
}

describe('parseJsonBounded', () => {
  it('parses what JSON.parse parses up to the bound; brackets inside strings do not count', () => {
    const tricky = { 'a[': ['{"\\"]', [{ b: '\\\\[' }]], c: '}}}]]]' };
    const text = JSON.stringify(tricky);
    expect(parseJsonBounded(text, 4)).toEqual(JSON.parse(text));
    expect(depthOf(JSON.parse(text))).toBe(4);
    expect(() => parseJsonBounded(text, 3)).toThrow(/nested deeper than 3 levels/);
    const atBound = deep(MAX_JSON_DEPTH);
    expect(depthOf(parseJsonBounded(atBound))).toBe(MAX_JSON_DEPTH);
    expect(() => parseJsonBounded(deep(MAX_JSON_DEPTH + 1))).toThrow(SyntaxError);
  });

  it('keeps JSON.parse errors for text that is not JSON', () => {
    expect(() => parseJsonBounded('{"a": ')).toThrow(SyntaxError);
  });
});

describe('readers refuse deep nesting as T2LError naming the file', () => {
  const catchError = (f: () => unknown): unknown => {
    try {
      f();
    } catch (e) {
      return e;
    }
    throw new Error('no error');
  };

  it('t2l.json, adapter_config.json and a safetensors header, 20 000 deep', () => {
    const manifest = catchError(() => parseManifest(`{"version": 1, "rank": ${deep(20000)}}`));
    expect(manifest).toBeInstanceOf(T2LError);
    expect((manifest as Error).message).toMatch(/^t2l\.json: not valid JSON \(nested deeper/);

    const config = catchError(() => parseAdapterConfig(`{"r": ${deep(20000)}}`));
    expect(config).toBeInstanceOf(T2LError);
    expect((config as Error).message).toMatch(/^adapter_config\.json: .*nested deeper/);

    const header = new TextEncoder().encode(`{"x": ${deep(20000)}}`);
    const bytes = new Uint8Array(8 + header.length);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
    bytes.set(header, 8);
    const st = catchError(() => readSafetensors(bytes, 'deep.safetensors'));
    expect(st).toBeInstanceOf(T2LError);
    expect((st as Error).message).toMatch(/deep\.safetensors.*nested deeper/);
  });

  it("the schema's preview of a found value never throws", () => {
    let v: unknown = 1;
    for (let i = 0; i < 200_000; i++) v = [v];
    expect(preview(v)).toBe('an array of 1');
  });
});
