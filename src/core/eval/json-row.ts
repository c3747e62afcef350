/**
 * Text checks of an example row that come before any value is built. For a JSON Lines row,
 * Microsoft's jsonc-parser (the parser behind VS Code's JSON support) walks the text with its
 * visitor in strict JSON mode (no comments, no trailing commas), and {@link checkJsonRow} refuses,
 * naming the field:
 * - a key given twice in one object (JSON.parse would keep the last without a word; RFC 8259 §4
 *   leaves such an object's meaning open, and I-JSON, RFC 7493 §2.3, forbids it);
 * - nesting deeper than MAX_JSON_DEPTH, or more than MAX_ROW_VALUES values in the row: bounds on
 *   what JSON.parse would build (a 16 MiB line of nested arrays took seconds and hundreds of MB);
 * - a NUL character or a lone UTF-16 surrogate in any key or string, a field the examples read or
 *   not (not text: usually a file in another encoding). A raw NUL byte, which JSON.parse describes
 *   as a blank ("Unexpected token ' '"), is named as what it is.
 * JSON syntax is left to JSON.parse, which the caller runs next, so that the values and the syntax
 * messages stay JSON.parse's.
 */
import { visit, type JSONVisitor } from 'jsonc-parser';
import { MAX_JSON_DEPTH } from '../json';

// Nesting: the project's bound on JSON from outside (core/json.ts); a row nests 2 (its choices).
/** Most JSON values (objects, arrays, strings, numbers, true, false, null) in one row. */
export const MAX_ROW_VALUES = 10_000;

/** A NUL, or a UTF-16 surrogate without its pair (a string cut mid-character, or binary). */
const BAD_CHAR = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a string cannot be example text ("contains a NUL character (U+0000) at character 3; …"), or null. */
export function badCharacter(value: string): string | null {
  const m = BAD_CHAR.exec(value);
  if (!m) return null;
  const code = m[0].charCodeAt(0);
  const at = `at character ${m.index + 1}`;
  return code === 0
    ? `contains a NUL character (U+0000) ${at}; example text must be plain text`
    : `contains a lone UTF-16 surrogate (U+${code.toString(16).toUpperCase()}) ${at}, which is not a character; save the file as UTF-8 text`;
}

/** What is wrong with a row: the field ("answer", "choices.2", "meta.tags"; null: the row) and why. */
export interface RowProblem {
  field: string | null;
  message: string;
}

type Frame =
  { kind: 'object'; keys: Set<string>; key: string | null } | { kind: 'array'; index: number };

/** Thrown inside the visitor to end the walk at the first problem (null: a syntax error). */
class Stop {
  constructor(readonly problem: RowProblem | null) {}
}

/** jsonc-parser's ParseErrorCode.InvalidCharacter: a control character inside a string. */
const INVALID_CHARACTER = 16;

/**
 * Checks one row's JSON text (see the file comment). Returns the first problem, or null when the
 * structure is acceptable or the text is not valid JSON (then JSON.parse, run next, says where).
 * The walk ends at the first problem, so its work is bounded by MAX_JSON_DEPTH and MAX_ROW_VALUES
 * (and the scan up to there), not by what the rest of the line holds.
 */
export function checkJsonRow(text: string): RowProblem | null {
  const stack: Frame[] = [];
  let values = 0;
  const path = (frames: Frame[] = stack) =>
    frames
      .flatMap((f) =>
        f.kind === 'object'
          ? f.key === null
            ? []
            : [f.key]
          : f.index < 0
            ? []
            : [String(f.index)],
      )
      .join('.') || null;
  // A value starts: counted, and its place in an array taken.
  const value = () => {
    const top = stack.at(-1);
    if (top?.kind === 'array') top.index++;
    if (++values > MAX_ROW_VALUES) {
      throw new Stop({
        field: path(stack.slice(0, 1)),
        message: `the row holds more than ${MAX_ROW_VALUES} JSON values (objects, arrays, strings, numbers); a row is its prompt, answer and choices, with a few other fields at most`,
      });
    }
  };
  const open = (frame: Frame) => {
    value();
    stack.push(frame);
    if (stack.length > MAX_JSON_DEPTH) {
      // The row's own field is named; the full path would be 32 steps long.
      throw new Stop({
        field: path(stack.slice(0, 1)),
        message: `nested more than ${MAX_JSON_DEPTH} levels deep; a row is an object of text fields (and a "choices" array)`,
      });
    }
  };
  const close = () => void stack.pop();
  const visitor: JSONVisitor = {
    onObjectBegin: () => open({ kind: 'object', keys: new Set(), key: null }),
    onObjectEnd: close,
    onArrayBegin: () => open({ kind: 'array', index: -1 }),
    onArrayEnd: close,
    onObjectProperty: (name) => {
      const top = stack.at(-1);
      if (top?.kind !== 'object') return;
      // Named escaped, where it is (its object's path): the key itself is not printable.
      const bad = badCharacter(name);
      if (bad) throw new Stop({ field: path(), message: `the key ${JSON.stringify(name)} ${bad}` });
      top.key = name;
      if (top.keys.has(name)) {
        throw new Stop({
          field: name === '' ? path(stack.slice(0, -1)) : path(),
          // An empty key has no name in the path ("line 1: given twice" would not say which).
          message: `${name === '' ? 'the key "" is ' : ''}given twice in one object; give each field once (a JSON reader would keep only the last)`,
        });
      }
      top.keys.add(name);
    },
    onLiteralValue: (v: unknown) => {
      value();
      if (typeof v !== 'string') return;
      const bad = badCharacter(v);
      if (bad) throw new Stop({ field: path(), message: bad });
    },
    onError: (code, offset) => {
      // A raw control character in a string is scanned on: the string then reaches
      // onObjectProperty or onLiteralValue, where a NUL is named with its field. JSON.parse
      // refuses the others ("Bad control character").
      if (code === INVALID_CHARACTER) return;
      const nul = text.indexOf('\0');
      if (nul >= 0 && nul <= offset) {
        throw new Stop({
          field: null,
          message: `contains a NUL character (U+0000) at character ${nul + 1}; a JSON Lines row is text (is the file UTF-16, or binary?)`,
        });
      }
      throw new Stop(null);
    },
  };
  try {
    visit(text, visitor, { disallowComments: true, allowTrailingComma: false });
  } catch (e) {
    if (e instanceof Stop) return e.problem;
    throw e;
  }
  return null;
}
