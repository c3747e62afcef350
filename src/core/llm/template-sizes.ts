/**
 * Upper bounds on what one @huggingface/jinja (0.5.x) builtin would build, computed from its
 * arguments before it runs. One builtin call is one step of the render, so the step count and the
 * size check on its result (template-budget.ts) come too late for `"x"|replace("", s)`, a
 * `split` of a 4 Mi-character string or `tojson(indent=n)` of a deep value: the call itself takes
 * seconds and gigabytes. Each bound here costs at most time linear in the value it measures, and
 * stops counting as soon as the bound passes `limit` (a TemplateBudgetError says so).
 *
 * The shapes follow the library's own code (dist/index.js of @huggingface/jinja 0.5.11: toJSON,
 * replace, the split/indent/join builtins); every bound is at least what the library builds.
 */

/** A runtime value of the interpreter, typed loosely (the package does not export the shapes). */
export interface Value {
  type: string;
  value: unknown;
}

/** Separators and options of one toJSON call (the library's defaults when absent). */
export interface JsonShape {
  /** Spaces per level (0: one line). */
  indent: number;
  /** Between items (default ", ", or "," with indent). */
  itemSeparator: number;
  /** Between a key and its value (default ": "). */
  keySeparator: number;
  /** ensure_ascii: every non-ASCII character becomes a 6-character escape. */
  ascii: boolean;
}

export const ONE_LINE_JSON: JsonShape = {
  indent: 0,
  itemSeparator: 2,
  keySeparator: 2,
  ascii: false,
};

/** Thrown when a bound passes its limit; the budget turns it into its own error. */
export class SizeOverError extends Error {
  constructor(
    readonly what: 'characters' | 'items' | 'depth',
    readonly limit: number,
  ) {
    super(`more than ${limit} ${what}`);
  }
}

/** At most the length of JSON.stringify(s) (made ASCII-safe with `ascii`), s of `n` characters. */
function jsonStringLength(s: string, ascii: boolean, room: number): number {
  const worst = 2 + 6 * s.length;
  if (worst <= room) return worst;
  let n = 2;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // '"' and '\' take 2, control characters at most 6 (\u00XX), lone surrogates 6; with
    // ensure_ascii every character from U+007F on is \uXXXX.
    if (c === 34 || c === 92) n += 2;
    else if (c < 0x20 || (c >= 0xd800 && c <= 0xdfff) || (ascii && c >= 0x7f)) n += 6;
    else n += 1;
    if (n > room) return n;
  }
  return n;
}

/**
 * At most the length of the library's toJSON(value) with `shape` (also of a list's or dict's
 * toString, which is toJSON on one line). Throws SizeOverError past `limit` characters or
 * `maxDepth` levels (a namespace that holds itself would otherwise recurse without end).
 */
export function jsonLength(
  value: Value,
  shape: JsonShape,
  limit: number,
  maxDepth: number,
): number {
  let total = 0;
  const add = (n: number) => {
    total += n;
    if (total > limit) throw new SizeOverError('characters', limit);
  };
  const walk = (v: Value, depth: number): void => {
    if (depth > maxDepth) throw new SizeOverError('depth', maxDepth);
    const inner = v.value;
    if (typeof inner === 'string') return add(jsonStringLength(inner, shape.ascii, limit - total));
    if (!Array.isArray(inner) && !(inner instanceof Map)) return add(25); // number, null, bool
    // Each item: its padding (newline + indent per level) and a separator; the brackets and the
    // closing padding once.
    const pad = shape.indent > 0 ? 1 + shape.indent * (depth + 1) : 0;
    add(3 + pad);
    if (Array.isArray(inner)) {
      for (const x of inner as Value[]) {
        add(pad + shape.itemSeparator);
        walk(x, depth + 1);
      }
    } else {
      for (const [k, x] of inner as Map<unknown, Value>) {
        add(pad + shape.itemSeparator + shape.keySeparator);
        add(jsonStringLength(String(k), shape.ascii, limit - total));
        walk(x, depth + 1);
      }
    }
  };
  walk(value, 0);
  return total;
}

/** At most the length of String(v.value) as `~`, `+` and join build it. */
export function textLength(v: Value, limit: number, maxDepth: number): number {
  if (typeof v.value === 'string') return v.value.length;
  // A list's JavaScript toString joins its items' toString with commas: at most its JSON.
  if (Array.isArray(v.value)) return jsonLength(v, ONE_LINE_JSON, limit, maxDepth);
  return 25; // a number, a boolean, "[object Map]"
}

/** How many times `needle` (non-empty) occurs in `s`, not overlapping, counting up to `cap`. */
export function countOccurrences(s: string, needle: string, cap: number): number {
  let n = 0;
  for (let i = s.indexOf(needle); i !== -1 && n < cap; i = s.indexOf(needle, i + needle.length)) {
    n++;
  }
  return n;
}

/**
 * At most the length of the library's replace(s, old, new, count): every match (each code point
 * boundary for an empty `old`, s.length + 1 at most) becomes `new`; count < 0 or null: all.
 */
export function replaceLength(
  s: string,
  old: string,
  replacement: string,
  count: number | null,
  limit: number,
): number {
  const most = count === null || count < 0 ? Infinity : count;
  if (most === 0 || replacement.length <= old.length) return s.length;
  const grow = replacement.length - old.length;
  // Enough matches to pass the limit, and no more, are counted.
  const enough = Math.floor((limit - s.length) / grow) + 1;
  const matches =
    old.length === 0 ? s.length + 1 : countOccurrences(s, old, Math.min(most, enough));
  return s.length + Math.min(matches, most) * grow;
}

/** How many parts s.split(sep) builds (the library splits in full even with maxsplit). */
export function splitParts(s: string, sep: string | null, cap: number): number {
  if (sep === null) {
    // Runs of non-space characters.
    const runs = /\S+/g;
    let n = 0;
    while (n <= cap && runs.exec(s) !== null) n++;
    return n;
  }
  if (sep === '') return 0; // the library refuses an empty separator
  return countOccurrences(s, sep, cap) + 1;
}

/** Lines of s as split('\n') makes them. */
export function lineCount(s: string, cap: number): number {
  return countOccurrences(s, '\n', cap) + 1;
}
