import { T2LError } from '../errors';

// Python's str.isspace() set, which str.strip() removes. JS trim() differs: it strips U+FEFF and keeps
// U+001C..U+001F, so embeddings would drift from the reference on such input.
const PY_WHITESPACE = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001,
  0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f,
  0x205f, 0x3000,
]);

// Python's str.isalpha() is true for general categories Lu, Ll, Lt, Lm and Lo, which is \p{L}.
const LETTER = /^\p{L}$/u;

function pythonStrip(text: string): string {
  let start = 0;
  let end = text.length;
  // Every character in the set is a single UTF-16 code unit, so stepping by code units is exact.
  while (start < end && PY_WHITESPACE.has(text.charCodeAt(start))) start++;
  while (end > start && PY_WHITESPACE.has(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

function lastCodePoint(text: string): string {
  const low = text.charCodeAt(text.length - 1);
  const high = text.length > 1 ? text.charCodeAt(text.length - 2) : 0;
  const pair = low >= 0xdc00 && low <= 0xdfff && high >= 0xd800 && high <= 0xdbff;
  return text.slice(pair ? -2 : -1);
}

/**
 * What the reference's command line (scripts/generate_lora.py) does to a description, from the
 * argument, stdin or --task_desc_file alike: `task_desc.strip("\"' ")`, i.e. removes double
 * quotes, single quotes and spaces (only those) from both ends.
 */
export function stripQuotes(text: string): string {
  let start = 0;
  let end = text.length;
  const q = (c: string) => c === '"' || c === "'" || c === ' ';
  while (start < end && q(text[start]!)) start++;
  while (end > start && q(text[end - 1]!)) end--;
  return text.slice(start, end);
}

/**
 * Formats a task description the way the reference does before embedding it: first its command
 * line's `strip("\"' ")` (stripQuotes), so a quoted, pasted description embeds like the bare one,
 * then strip white space (Python's definition) and end it with "." when its last character is a
 * letter. The CLI, the server and the app all format through this one function, so one
 * description gives one adapter wherever it is typed.
 */
export function formatDescription(text: string): string {
  const stripped = pythonStrip(stripQuotes(text));
  if (stripped.length === 0) {
    throw new T2LError(
      'bad-input',
      'The task description is empty: describe in a sentence or two what the adapter should do.',
    );
  }
  return LETTER.test(lastCodePoint(stripped)) ? `${stripped}.` : stripped;
}
