/**
 * Strict readers for the text we write, as the consumers' readers are strict: the Rust
 * `safetensors` crate (serde_json) behind PEFT and vLLM refuses invalid UTF-8 and a `\uD800`–`\uDBFF`
 * escape not followed by a low-surrogate escape (serde_json read.rs: LoneLeadingSurrogateInHexEscape,
 * UnexpectedEndOfHexEscape), and a lone `\uDC00`–`\uDFFF` escape decodes to nothing valid either.
 * JSON.parse and a non-fatal TextDecoder accept all of these, so tests must not rely on them.
 */

/** Decodes UTF-8 bytes, throwing on any invalid sequence (TextDecoder with fatal: true). */
export function strictUtf8(bytes: Uint8Array, what = 'text'): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (e) {
    throw new Error(`${what}: not valid UTF-8 (${String(e)})`, { cause: e });
  }
}

/**
 * Throws when JSON text holds a `\u` escape of a surrogate that is not part of a high+low pair,
 * scanning escapes as serde_json does (a backslash-escaped backslash is not an escape start).
 */
export function assertNoLoneSurrogateEscapes(json: string, what = 'JSON'): void {
  const hex = (at: number) => {
    const h = json.slice(at, at + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(h)) throw new Error(`${what}: bad \\u escape at ${at}`);
    return parseInt(h, 16);
  };
  for (let i = 0; i < json.length; i++) {
    if (json[i] !== '\\') continue;
    const next = json[i + 1];
    if (next !== 'u') {
      i++; // \\, \", \n ...: skip the escaped character
      continue;
    }
    const unit = hex(i + 2);
    if (unit >= 0xdc00 && unit <= 0xdfff) {
      throw new Error(`${what}: lone low surrogate escape \\u${unit.toString(16)} at ${i}`);
    }
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const low = json.slice(i + 6, i + 8) === '\\u' ? hex(i + 8) : -1;
      if (!(low >= 0xdc00 && low <= 0xdfff)) {
        throw new Error(`${what}: lone high surrogate escape \\u${unit.toString(16)} at ${i}`);
      }
      i += 11;
    } else {
      i += 5;
    }
  }
}

/** Every string (keys included) in a parsed JSON value is well-formed UTF-16. */
function assertWellFormedValues(v: unknown, what: string): void {
  if (typeof v === 'string') {
    if (!v.isWellFormed())
      throw new Error(`${what}: string ${JSON.stringify(v)} is not well-formed`);
  } else if (Array.isArray(v)) {
    for (const x of v) assertWellFormedValues(x, what);
  } else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      assertWellFormedValues(k, what);
      assertWellFormedValues(x, what);
    }
  }
}

/** UTF-8 JSON bytes read the strict way: valid UTF-8, no lone surrogate escapes, then parsed. */
export function strictJson(bytes: Uint8Array | string, what = 'JSON'): unknown {
  const text = typeof bytes === 'string' ? bytes : strictUtf8(bytes, what);
  assertNoLoneSurrogateEscapes(text, what);
  const value: unknown = JSON.parse(text);
  assertWellFormedValues(value, what);
  return value;
}

/** Throws unless `s` is well-formed (no lone surrogates). */
export function assertWellFormed(s: string, what = 'string'): void {
  if (!s.isWellFormed()) throw new Error(`${what}: ${JSON.stringify(s)} is not well-formed`);
}
