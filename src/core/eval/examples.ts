/**
 * A user's example set for `t2l eval` and the page's Evaluate panel: JSON Lines or CSV, parsed once
 * here at the boundary (zod for every row, papaparse for CSV), bounded before it is read whole.
 *
 * Two kinds of row, one shape inside ({@link Example}):
 * - free answer: `{"prompt": "...", "answer": "..."}`, matched as the reference matches free answers
 *   (matching.ts `matchFree`); a JSON number as the answer (`"answer": 1`, not negative) is a
 *   numeric answer, matched by the reference's numeric rule (matching.ts `matchNumber`: the
 *   output's last number equals it, so "1", "1.0" and "It is 1" are right);
 * - multiple choice: `{"prompt": "...", "choices": ["...", "..."], "answer": "B"}`, where `answer`
 *   is a letter (A = the first choice, case-insensitive), the choice's 0-based index (a JSON number
 *   or a string of digits) or the exact text of one choice. An answer that could mean two different
 *   choices is refused as ambiguous.
 *
 * An optional `id` (string or number) names a row in results; rows without one are named `line N`.
 * Two rows of one id are refused.
 * In CSV, choices are either columns `A`, `B`, `C`, … (or `a`, `b`, `c`, …, read as the same; a
 * header with both `A` and `a` is refused; consecutive from A, empty cells ending the list; a
 * filled cell after an empty one is refused) or a `choices` column holding a JSON array of
 * strings; a row with both is refused (which list is meant?), as is a JSON Lines row with `A`/`B` (or `a`/`b`)
 * fields (its choices go in `choices`). A CSV column without a name (`prompt,answer,,`: a
 * spreadsheet's empty columns) is allowed while every cell under it is empty (white space is).
 * Header names are read with the spaces around them trimmed, and `id`, `prompt`, `answer` and
 * `choices` in any case (`Prompt, Answer`); two names for one column are refused.
 *
 * Other fields and columns (a category, a source, notes) are allowed and not read: a file exported
 * from a larger table scores as it is. They are still bounded and checked as text (json-row.ts):
 * nesting at most MAX_JSON_DEPTH deep and MAX_ROW_VALUES values a row, no key twice in one object,
 * no NUL or lone surrogate in any string. A `null` there is fine (an empty cell); a `null` in a
 * field that is read is refused.
 *
 * Refused besides: a blank answer, text with a NUL or a lone UTF-16 surrogate (not text a model
 * can be given or a CSV/JSON export can carry), and a JSON array in place of JSON Lines.
 * Every error is a T2LError('bad-input') naming the source, the line and the field.
 */
import Papa from 'papaparse';
import { z } from 'zod';
import { T2LError } from '../errors';
import { badCharacter, checkJsonRow } from './json-row';

export { badCharacter } from './json-row';

/** Largest example file accepted, in bytes (checked on the declared size, before reading). */
export const MAX_EXAMPLE_BYTES = 16 << 20;
/** Most rows accepted in one example set. */
export const MAX_EXAMPLE_ROWS = 10_000;
/** Most choices in a multiple-choice row (one per letter A–Z). */
export const MAX_CHOICES = 26;
/** Longest prompt, answer or choice accepted, in characters. */
export const MAX_FIELD_CHARS = 100_000;

export type ExampleFormat = 'jsonl' | 'csv';

/** One scored example. */
export interface Example {
  /** The row's `id`, or `line N` (N: the 1-based line the row starts on). */
  id: string;
  /** 1-based line of the source the row starts on. */
  line: number;
  /** The user's text for this row (before any template is applied). */
  prompt: string;
  /** Multiple choice only: the choices, in order (A, B, …). */
  choices?: string[];
  /**
   * The expected answer as matched: a free row's answer text, or a choice row's letter ("A" for
   * the first choice), or a numeric row's number in decimal ("1", "2.5").
   */
  answer: string;
  /** The answer was a JSON number (no choices): matched by the numeric rule, not as text. */
  numeric?: true;
}

export interface ExampleSet {
  /** Where the examples came from (a file name), for messages and records. */
  source: string;
  format: ExampleFormat;
  examples: Example[];
}

export interface ParseExamplesOptions {
  /** Names the file in errors and records. */
  source: string;
  /** Default: from the source's extension (.csv, .jsonl/.json), else sniffed ("{" first: JSONL). */
  format?: ExampleFormat;
  /** Most rows (default MAX_EXAMPLE_ROWS). */
  maxRows?: number;
  /** What the text is, for the wording of errors about it as a whole (default 'file'). */
  kind?: 'file' | 'pasted text';
}

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** The letter of choice `i` (0 → "A"). */
export function choiceLetter(i: number): string {
  const letter = LETTERS[i];
  if (letter === undefined) throw new RangeError(`choice index ${i} out of A–Z`);
  return letter;
}

/**
 * An example file's bytes as text: UTF-8 (a UTF-8 byte-order mark is left for parseExamples to
 * drop). Anything else is refused naming where: a UTF-16 file by its byte-order mark, otherwise
 * the line and byte of the first sequence that is not UTF-8 (a Latin-1 "é", say), so the user can
 * find it, rather than a bare "not UTF-8".
 */
export function decodeExampleBytes(bytes: Uint8Array, source: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // Handled below.
  }
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new T2LError(
      'bad-input',
      `${source}: UTF-16 text (it starts with a UTF-16 byte-order mark); save it as UTF-8`,
    );
  }
  // Where the first bad sequence starts: the longest prefix that decodes as a stream (an unfinished
  // sequence at its end allowed), then back to the longest that decodes whole.
  const decodes = (n: number, stream: boolean) => {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, n), { stream });
      return true;
    } catch {
      return false;
    }
  };
  let lo = 0;
  let hi = bytes.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (decodes(mid, true)) lo = mid;
    else hi = mid - 1;
  }
  while (lo > 0 && !decodes(lo, false)) lo--;
  let line = 1;
  let start = 0;
  // Lines end at "\r\n", "\r" or "\n" (as the CSV lines: lineCounter).
  for (let i = 0; i < lo; i++) {
    if (bytes[i] === 0x0d || (bytes[i] === 0x0a && bytes[i - 1] !== 0x0d)) line++;
    if (bytes[i] === 0x0d || bytes[i] === 0x0a) start = i + 1;
  }
  const hex = Array.from(bytes.subarray(lo, lo + 4), (b) => b.toString(16).padStart(2, '0'));
  throw new T2LError(
    'bad-input',
    `${source}: line ${line}: not UTF-8 text (bytes ${hex.join(' ')} at byte ${lo - start + 1} of the line); save the file as UTF-8`,
  );
}

/**
 * Refuses a file by its declared size (File.size, stat) before any of it is read.
 * Throws T2LError('bad-input') for an empty file or one over `maxBytes` (default MAX_EXAMPLE_BYTES).
 */
export function checkExampleFileSize(
  byteLength: number,
  source: string,
  maxBytes = MAX_EXAMPLE_BYTES,
): void {
  if (byteLength === 0) throw new T2LError('bad-input', `${source}: the file is empty`);
  if (byteLength > maxBytes) {
    throw new T2LError(
      'bad-input',
      `${source}: the file is ${byteLength} bytes, more than the ${maxBytes} bytes accepted for an example set`,
    );
  }
}

const text = (what: string) =>
  z
    .string({ error: `expected ${what} as a string` })
    .max(MAX_FIELD_CHARS, `longer than ${MAX_FIELD_CHARS} characters`)
    .superRefine((value, ctx) => {
      const bad = badCharacter(value);
      if (bad) ctx.addIssue({ code: 'custom', message: bad });
    });

const rowSchema = z.object({
  id: z.union([text('the id'), z.number()], { error: 'expected a string or a number' }).optional(),
  prompt: text('the prompt').refine((s) => s.trim().length > 0, 'must not be empty'),
  answer: z.union(
    [
      text('the answer').refine((s) => s.trim().length > 0, 'must not be blank'),
      z.number({ error: 'expected a string or a number' }).finite(),
    ],
    { error: 'expected a string, or a number (a choice index, or a numeric answer)' },
  ),
  choices: z
    .array(text('each choice'), { error: 'expected an array of strings' })
    .min(2, 'expected at least 2 choices')
    .max(MAX_CHOICES, `expected at most ${MAX_CHOICES} choices`)
    .optional(),
});

function fail(source: string, line: number, field: string | null, message: string): never {
  throw new T2LError(
    'bad-input',
    `${source}: line ${line}${field ? `, field "${field}"` : ''}: ${message}`,
  );
}

/** Which choice an answer names: letter, 0-based index or the choice's text; refuses ambiguity. */
function answerIndex(
  answer: string | number,
  choices: string[],
  where: { source: string; line: number },
): number {
  const n = choices.length;
  const found = new Set<number>();
  const kinds: string[] = [];
  if (typeof answer === 'number') {
    if (answer >= 0 && answer < n) found.add(answer);
  } else {
    const a = answer.trim();
    if (/^[A-Za-z]$/.test(a)) {
      const i = LETTERS.indexOf(a.toUpperCase());
      if (i < n) {
        found.add(i);
        kinds.push(`letter ${a.toUpperCase()}`);
      }
    }
    if (/^[0-9]+$/.test(a) && Number(a) < n) {
      found.add(Number(a));
      kinds.push(`index ${Number(a)}`);
    }
    choices.forEach((c, i) => {
      if (c.trim() === a) {
        found.add(i);
        kinds.push(`the text of choice ${choiceLetter(i)}`);
      }
    });
  }
  if (found.size === 0) {
    fail(
      where.source,
      where.line,
      'answer',
      `${JSON.stringify(answer)} is not among the ${n} choices (expected a letter A–${choiceLetter(n - 1)}, an index 0–${n - 1} or the text of a choice)`,
    );
  }
  if (found.size > 1) {
    fail(
      where.source,
      where.line,
      'answer',
      `${JSON.stringify(answer)} is ambiguous: it is ${kinds.join(' and ')}, which name different choices`,
    );
  }
  return [...found][0]!;
}

const ROW_EXPECTED = 'expected a JSON object like {"prompt": ..., "answer": ...}';

function toExample(raw: unknown, line: number, source: string): Example {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    fail(source, line, null, ROW_EXPECTED);
  }
  const obj = raw as Record<string, unknown>;
  for (const key of ['id', 'prompt', 'answer', 'choices']) {
    if (obj[key] === null) {
      fail(
        source,
        line,
        key,
        `is null; expected ${key === 'choices' ? 'an array of strings' : key === 'answer' ? 'a string, or a number' : 'a string'} (leave a field out rather than null)`,
      );
    }
  }
  // Lowercase too: a row with fields a, b would otherwise be read as a free answer without a word.
  const letterField = ['A', 'B', 'a', 'b'].find((k) => obj[k] !== undefined);
  if (letterField !== undefined) {
    fail(
      source,
      line,
      letterField,
      obj['choices'] !== undefined
        ? 'the row has both "choices" and choice fields A, B, …; give the choices once, in "choices"'
        : 'choices go in "choices" as an array of strings (["first", "second", …]), not in fields A, B, …',
    );
  }
  for (const key of ['prompt', 'answer'] as const) {
    if (obj[key] === undefined || obj[key] === '') {
      const keys = Object.keys(obj);
      fail(
        source,
        line,
        key,
        `missing (every row needs "prompt" and "answer"; found ${keys.length ? keys.map((k) => `"${k}"`).join(', ') : 'no fields'})`,
      );
    }
  }
  // JSON.parse reads 1e400 as Infinity: a number, but none the numeric rule or an index can match.
  for (const key of ['id', 'answer'] as const) {
    const v = obj[key];
    if (typeof v === 'number' && !Number.isFinite(v)) {
      fail(
        source,
        line,
        key,
        'is a number too large to hold (it reads as infinity); write it as a string to match it as text',
      );
    }
    // Past 2^53 a JSON number loses its last digits (12345678901234567890 reads as
    // …67000): the results would name the row, or expect an answer, other than the file's.
    if (typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v)) {
      fail(
        source,
        line,
        key,
        `is a whole number beyond ${Number.MAX_SAFE_INTEGER} (2^53 - 1), which a JSON number cannot hold exactly (it reads as ${String(v)}); write it as a string`,
      );
    }
  }
  const parsed = rowSchema.safeParse(obj);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    fail(source, line, issue.path.map(String).join('.') || null, issue.message);
  }
  const row = parsed.data;
  const id = row.id === undefined ? `line ${line}` : String(row.id);
  if (!row.choices) {
    if (typeof row.answer === 'number') {
      // The reference's numeric rule reads numbers without their sign ("-5" as 5): a negative
      // target could never be matched.
      if (row.answer < 0) {
        fail(
          source,
          line,
          'answer',
          `${row.answer} cannot be matched: the numeric rule reads numbers without their sign; write the answer as a string ("${row.answer}") to match it as text`,
        );
      }
      return { id, line, prompt: row.prompt, answer: String(row.answer), numeric: true };
    }
    return { id, line, prompt: row.prompt, answer: row.answer };
  }
  if (typeof row.answer === 'number' && !Number.isInteger(row.answer)) {
    fail(source, line, 'answer', `${row.answer} is not a choice index (expected a whole number)`);
  }
  row.choices.forEach((c, i) => {
    if (c.trim() === '') fail(source, line, `choices.${i}`, 'a choice must not be empty');
  });
  const index = answerIndex(row.answer, row.choices, { source, line });
  return { id, line, prompt: row.prompt, choices: row.choices, answer: choiceLetter(index) };
}

function tooMany(source: string, line: number, maxRows: number): never {
  throw new T2LError(
    'bad-input',
    `${source}: line ${line}: more than ${maxRows} rows; an example set holds at most ${maxRows}`,
  );
}

function jsonArray(source: string, line: number): never {
  fail(
    source,
    line,
    null,
    `this looks like a JSON array; write one object per line (JSON Lines): {"prompt": ..., "answer": ...} (jq -c '.[]' writes an array's objects so)`,
  );
}

/**
 * A JSON text's characters outside its strings, with their offsets: what JSON.parse reads as
 * structure. A backslash inside a string escapes the next character.
 */
function* outsideStrings(text: string): Generator<[string, number]> {
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
    } else {
      yield [c, i];
    }
  }
}

/** Where a JSON text holds U+FEFF outside a string (a stray byte-order mark), or -1. */
function bomOutsideString(text: string): number {
  for (const [c, i] of outsideStrings(text)) if (c === '\uFEFF') return i;
  return -1;
}

/**
 * Whether a line opens an object that it does not close: the first line of an object written over
 * several lines (pretty-printed JSON), which JSON Lines cannot read.
 */
function opensUnclosedObject(text: string): boolean {
  if (!text.trimStart().startsWith('{')) return false;
  let depth = 0;
  for (const [c] of outsideStrings(text)) {
    if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return depth > 0;
}

function parseJsonLines(body: string, source: string, maxRows: number): Example[] {
  const examples: Example[] = [];
  // Lines end at "\r\n", "\n" or "\r" (an old Mac file, whose "\r" JSON.parse would read as
  // white space between two objects), as the CSV's lines and decodeExampleBytes' count them; a raw
  // "\r" is never inside a JSON string (a control character). One line at a time: a file of
  // 16 million line breaks is not split into as many strings at once.
  const lineEnd = /\r\n|\r|\n/g;
  let start = 0;
  for (let line = 1; start <= body.length; line++) {
    lineEnd.lastIndex = start;
    const m = lineEnd.exec(body);
    const end = m ? m.index : body.length;
    // A byte-order mark opening a line is dropped, as the file's own is: `cat a.jsonl b.jsonl`
    // with b saved by an editor that writes one puts it there.
    const lineText = body.slice(start, end).replace(/^\uFEFF/, '');
    start = m ? m.index + m[0].length : body.length + 1;
    if (lineText.trim() === '') continue;
    if (examples.length === maxRows) tooMany(source, line, maxRows);
    // An array is no row: refused before it is read (a 16 MiB line of nested arrays is cheap to write).
    if (lineText.trimStart().startsWith('[')) {
      if (examples.length === 0) jsonArray(source, line);
      fail(source, line, null, ROW_EXPECTED);
    }
    // Bounds, duplicate keys and NULs, before JSON.parse builds anything (json-row.ts).
    const problem = checkJsonRow(lineText);
    if (problem) fail(source, line, problem.field, problem.message);
    let raw: unknown;
    try {
      raw = JSON.parse(lineText);
    } catch (e) {
      // JSON.parse quotes the stray character, which shows as nothing.
      const bom = bomOutsideString(lineText);
      if (bom >= 0) {
        fail(
          source,
          line,
          null,
          `not valid JSON: a byte order mark (U+FEFF, invisible) at character ${bom + 1}; remove it`,
        );
      }
      if (opensUnclosedObject(lineText)) {
        fail(
          source,
          line,
          null,
          `not valid JSON: the object opened on this line is not closed on it (${(e as Error).message}); JSON Lines needs each object on one line, and this looks like pretty-printed JSON (jq -c . writes it one object per line)`,
        );
      }
      fail(source, line, null, `not valid JSON (${(e as Error).message})`);
    }
    examples.push(toExample(raw, line, source));
  }
  return examples;
}

/**
 * 1-based line numbers of increasing offsets in a text, counted incrementally. A line ends at
 * "\r\n", "\r" (old Mac files) or "\n", as papaparse reads them and an editor shows them; breaks
 * inside quoted fields count too, as they are lines of the file.
 */
function lineCounter(body: string): (offset: number) => number {
  let at = 0;
  let line = 1;
  return (offset) => {
    for (; at < offset && at < body.length; at++) {
      const c = body.charCodeAt(at);
      // "\r\n" is one break, counted at its "\r".
      if (c === 0x0d || (c === 0x0a && body.charCodeAt(at - 1) !== 0x0d)) line++;
    }
    return line;
  };
}

/** The first offset from `from` that is not white space: where a row after skipped blank lines starts. */
function skipBlank(body: string, from: number): number {
  let i = from;
  while (i < body.length && /\s/.test(body[i]!)) i++;
  return i;
}

/** A CSV file's header as the rows are read. */
interface CsvHeader {
  /** 1-based line the header starts on. */
  line: number;
  /**
   * Per column, the key its cells are read under (null: an unnamed column, whose cells must be
   * empty): the name as written, but a lowercase choice column (`a`, `b`, …) as its letter (`A`).
   */
  keys: (string | null)[];
  /** The header's names as written, by key, for messages ("c" for the key "C"). */
  names: Map<string, string>;
  /** The header's cells as written, in order (to recognize a repeated header). */
  cells: string[];
}

/** A choice column's name: one letter, `A` or `a` (read as `A`). */
const isChoiceLetter = (name: string) => /^[A-Za-z]$/.test(name);

/** The columns a row is read from, besides the choice letters. */
const CSV_FIELDS = ['id', 'prompt', 'answer', 'choices'];

/**
 * The key a column's cells are read under, from its name with the spaces around it trimmed (a
 * hand-written `prompt, answer` header): the fields in any case (`Prompt` as `prompt`, as a
 * spreadsheet's header often capitalizes them), a choice letter in upper case, any other name as
 * it is (read, not used).
 */
function columnKey(name: string): string {
  const lower = name.toLowerCase();
  if (CSV_FIELDS.includes(lower)) return lower;
  return isChoiceLetter(name) ? name.toUpperCase() : name;
}

/**
 * Reads a CSV header (see parseExamples): refuses two columns of one name (which one is the
 * answer?), counting `a` and `A` as one choice column and `Prompt` and ` prompt` as `prompt`
 * (columnKey), and a header without `prompt` and
 * `answer`. An empty name is an unnamed column: allowed (a spreadsheet's export often ends its rows
 * with empty columns: `prompt,answer,,`) as long as every cell under it is empty (csvRow).
 */
function readHeader(cells: string[], line: number, source: string): CsvHeader {
  const names = new Map<string, string>();
  const keys = cells.map((name) => {
    const plain = name.trim();
    if (plain === '') return null;
    const key = columnKey(plain);
    const before = names.get(key);
    if (before !== undefined) {
      fail(
        source,
        line,
        null,
        before === name
          ? `the CSV header names the column "${name}" twice; name each column once`
          : `the CSV header has both "${before}" and "${name}", which name one ${isChoiceLetter(key) ? 'choice ' : ''}column (${key}); keep one`,
      );
    }
    names.set(key, name);
    return key;
  });
  if (!names.has('prompt') || !names.has('answer')) {
    fail(
      source,
      line,
      null,
      `the CSV header must name the columns "prompt" and "answer" (found ${cells.map((f) => `"${f}"`).join(', ')})`,
    );
  }
  return { line, keys, names, cells };
}

function csvRow(
  header: CsvHeader,
  cells: string[],
  line: number,
  source: string,
): Record<string, unknown> {
  const row: Record<string, string | undefined> = {};
  const name = (key: string) => header.names.get(key) ?? key;
  header.keys.forEach((key, i) => {
    const cell = cells[i]!;
    if (key === null) {
      // An unnamed column is no field: its cells must be empty (white space is).
      if (cell.trim() !== '') {
        fail(
          source,
          line,
          null,
          `column ${i + 1} has no name in the header (line ${header.line}) but holds ${JSON.stringify(cell.length > 40 ? `${cell.slice(0, 40)}…` : cell)}; name the column, or delete it`,
        );
      }
      return;
    }
    // Every cell is text, the columns read or not (as every string of a JSON Lines row).
    const bad = badCharacter(cell);
    if (bad) fail(source, line, name(key), bad);
    row[key] = cell;
  });
  const out: Record<string, unknown> = {};
  for (const key of ['id', 'prompt', 'answer'] as const) {
    if (row[key] !== undefined && row[key] !== '') out[key] = row[key];
  }
  const filled = [...LETTERS].filter((l) => row[l] !== undefined && row[l] !== '');
  const hasColumns = filled.length > 0;
  if (row['choices'] !== undefined && row['choices'] !== '') {
    if (hasColumns) {
      fail(
        source,
        line,
        'choices',
        'the row has both a "choices" cell and choice columns A, B, …; fill one of them',
      );
    }
    const problem = checkJsonRow(row['choices']);
    if (problem) {
      fail(source, line, ['choices', problem.field].filter(Boolean).join('.'), problem.message);
    }
    try {
      out['choices'] = JSON.parse(row['choices']);
    } catch (e) {
      fail(source, line, 'choices', `expected a JSON array of strings (${(e as Error).message})`);
    }
  } else if (hasColumns) {
    const choices: string[] = [];
    for (const letter of LETTERS) {
      const cell = row[letter];
      if (cell === undefined || cell === '') break;
      choices.push(cell);
    }
    // An empty cell ends the list: a filled one after it would be dropped without a word (or,
    // with A empty, the row read as a free answer), so the gap is refused.
    if (choices.length < filled.length) {
      const gap = choiceLetter(choices.length);
      const after = filled.find((l) => l > gap)!;
      fail(
        source,
        line,
        name(gap),
        `is empty while column ${name(after)} is filled; write the choices in consecutive columns from ${name('A')}`,
      );
    }
    out['choices'] = choices;
  }
  return out;
}

/**
 * Whether a row's cells are the header's names again, in any order: what `cat a.csv b.csv` leaves
 * where b starts (b's byte-order mark, if any, was dropped with the others that open a line; b may
 * order its columns otherwise). Read as a row, it would be an example whose prompt is "prompt" and
 * whose answer is "answer", which every model gets wrong.
 */
function repeatsHeader(header: CsvHeader, cells: string[]): boolean {
  if (cells.length !== header.cells.length) return false;
  const sorted = (a: string[]) => [...a].sort().join('\0');
  return sorted(cells) === sorted(header.cells);
}

function parseCsv(text: string, source: string, maxRows: number): Example[] {
  // A byte-order mark opening a line is dropped, as in JSON Lines (`cat a.csv b.csv` with b saved
  // with one puts it there): left in, it would make `\uFEFF"id"` a cell of six characters.
  const body = text.replace(/(\r\n|\r|\n)\uFEFF/g, '$1');
  const examples: Example[] = [];
  const lineOf = lineCounter(body);
  let failure: unknown = null;
  let header: CsvHeader | null = null;
  // Where the next row starts: papaparse's cursor is past a row and its line break.
  let rowStart = 0;
  // Rows as arrays, the header read here: papaparse's own header mode renames a repeated name
  // ("answer_1", "_1" for a second empty one) and reads on, and keys cells by a name even when it
  // is "__proto__".
  Papa.parse<string[]>(body, {
    skipEmptyLines: 'greedy',
    step(results, parser) {
      if (failure) return;
      try {
        // Blank lines that papaparse skipped come before the row: its line is its first non-blank one.
        const line = lineOf(skipBlank(body, rowStart));
        rowStart = results.meta.cursor;
        // papaparse guesses the delimiter (",", tab, ";", …) from the first rows and, when it
        // cannot (an unclosed quote swallows the rest), reads on with "," and reports that first,
        // on the header: it is no error of the file, and would hide the real one (its line).
        const err = results.errors.find((e) => e.type !== 'Delimiter');
        if (err) fail(source, line, null, `not valid CSV (${err.message})`);
        const cells = results.data;
        if (header === null) {
          header = readHeader(cells, line, source);
          return;
        }
        if (repeatsHeader(header, cells)) {
          fail(
            source,
            line,
            null,
            `repeats the CSV header (line ${header.line}); two files joined (cat a.csv b.csv)? Delete this line, or it would be scored as an example`,
          );
        }
        if (cells.length !== header.keys.length) {
          fail(
            source,
            line,
            null,
            `not valid CSV (${cells.length} fields where the header, line ${header.line}, has ${header.keys.length} columns)`,
          );
        }
        if (examples.length === maxRows) tooMany(source, line, maxRows);
        examples.push(toExample(csvRow(header, cells, line, source), line, source));
      } catch (e) {
        failure = e;
        parser.abort();
      }
    },
  });
  if (failure) throw failure;
  return examples;
}

function formatOf(source: string, body: string): ExampleFormat {
  const lower = source.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.jsonl') || lower.endsWith('.json') || lower.endsWith('.ndjson')) {
    return 'jsonl';
  }
  // "[": a JSON array, read as JSON Lines so that the refusal says what to write instead.
  return /^[{[]/.test(body.trimStart()) ? 'jsonl' : 'csv';
}

/**
 * Parses an example set from its text (UTF-8 decoded; a leading BOM is dropped, and in JSON Lines
 * one opening any line: `cat a.jsonl b.jsonl` puts b's there).
 *
 * Bounds: the text must be at most MAX_EXAMPLE_BYTES characters (callers check the file's byte
 * size with {@link checkExampleFileSize} before reading it) and hold at most `maxRows` rows, counted
 * while parsing (parsing stops at the first row over the limit); a JSON row's nesting and number of
 * values are bounded before it is parsed (json-row.ts).
 *
 * Throws T2LError('bad-input') naming the source, the line and the field: an empty file, a
 * malformed JSON line or CSV row, a JSON array, a row without a prompt or an answer, a null in a
 * field that is read, a key twice in one JSON object, a blank answer, a NUL or lone surrogate in any
 * field, nesting or values over the bounds, an answer that is not among the choices, choices given
 * twice, too many rows.
 */
export function parseExamples(text: string, options: ParseExamplesOptions): ExampleSet {
  const { source } = options;
  const maxRows = options.maxRows ?? MAX_EXAMPLE_ROWS;
  const kind = options.kind ?? 'file';
  // A string's length counts UTF-16 units, not bytes: at most as many as its UTF-8 bytes.
  if (text.length > MAX_EXAMPLE_BYTES) {
    throw new T2LError(
      'bad-input',
      `${source}: the ${kind} is ${text.length} characters, more than the ${MAX_EXAMPLE_BYTES} accepted for an example set`,
    );
  }
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  if (body.trim() === '') throw new T2LError('bad-input', `${source}: the ${kind} is empty`);
  const format = options.format ?? formatOf(source, body);
  const examples =
    format === 'jsonl' ? parseJsonLines(body, source, maxRows) : parseCsv(body, source, maxRows);
  if (examples.length === 0) throw new T2LError('bad-input', `${source}: no example rows`);
  // An id names a row in the results (the page's table, the CSV and JSON downloads, History):
  // two rows of one id could not be told apart there.
  const lineOfId = new Map<string, number>();
  for (const e of examples) {
    const first = lineOfId.get(e.id);
    if (first !== undefined) {
      fail(
        source,
        e.line,
        'id',
        `${JSON.stringify(e.id)} is also the id of line ${first}; give each row its own id`,
      );
    }
    lineOfId.set(e.id, e.line);
  }
  return { source, format, examples };
}
