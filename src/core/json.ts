/**
 * JSON from outside (t2l.json, adapter_config.json, safetensors headers, request bodies) parsed
 * with its nesting bounded first. JSON.parse itself copes with deep input, but everything after it
 * that walks the value (schema libraries, JSON.stringify in messages and logs, String()) recurses
 * and overflows the stack on a 20 000-deep array, which escaped as a RangeError, not as the
 * project's error. No file or request we read legitimately nests more than a few levels.
 */

/** Deepest nesting of arrays and objects accepted (the deepest file we read nests 4). */
export const MAX_JSON_DEPTH = 64;

/**
 * JSON.parse(text), refusing input nested deeper than `maxDepth` before parsing it. Throws a
 * SyntaxError like JSON.parse's (callers already wrap those into their own error with the file or
 * field name): "nested deeper than 64 levels (at character 70)".
 */
export function parseJsonBounded(text: string, maxDepth = MAX_JSON_DEPTH): unknown {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) {
        throw new SyntaxError(`nested deeper than ${maxDepth} levels (at character ${i})`);
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return JSON.parse(text);
}
