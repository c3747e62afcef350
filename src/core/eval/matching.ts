/**
 * Answer matching, restated from the T2L reference (SakanaAI/text-to-lora, commit 8ba7749) in our
 * own code. Each rule names the function it restates. The reference is Python, so the string
 * operations it leans on (str.strip, str.lower, float(), str(float), re's Unicode `\d`) are restated
 * too, with Python's semantics, because a rule that differs by one character class would change
 * the accuracy the user reads.
 *
 * The four rules:
 * - `free`   get_accuracy (utils/eval_tasks.py): normalized text equality, or a number equal in
 *            Python's str(float(...)) form. The free-answer rule; no benchmark of the paper uses it.
 * - `choice` get_choice_accuracy (utils/eval_tasks.py): the first letter or digit of each side.
 *            ARC-Easy, ARC-Challenge, OpenBookQA, HellaSwag, PIQA, Winogrande, and user choice rows.
 * - `bool`   get_binary_accuracy_flex (utils/eval_tasks.py): yes/no, true/false, 1/0, … BoolQ.
 * - `number` fishfarm LanguageRestrictedMathTask + extract_answer_number
 *            (src/fishfarm/fishfarm/tasks/language_restricted_math.py): the last number of the
 *            output equals the answer's number. GSM8K.
 */

export type MatchRule = 'free' | 'choice' | 'bool' | 'number';

/**
 * Python's str.isspace() characters (str.strip() with no argument removes these): Unicode
 * White_Space with bidi class WS, B or S, and category Zs. Unlike JavaScript's trim(), it includes
 * U+001C–U+001F and U+0085 and excludes U+FEFF.
 */
const PY_SPACE = new Set(
  [
    0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001,
    0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f,
    0x205f, 0x3000,
  ].map((c) => String.fromCharCode(c)),
);

/** Python `s.strip(chars)`; with no `chars`, `s.strip()` (Python whitespace). */
export function pyStrip(s: string, chars?: string): string {
  const drop =
    chars === undefined ? (c: string) => PY_SPACE.has(c) : (c: string) => chars.includes(c);
  let a = 0;
  let b = s.length;
  while (a < b && drop(s[a]!)) a++;
  while (b > a && drop(s[b - 1]!)) b--;
  return s.slice(a, b);
}

/** The characters both sides lose at their ends before comparing (eval_tasks.py, get_accuracy and get_choice). */
export const STRIP_CHARS = ':`\'"(.) ';

/** `str(x).strip().strip(":`'\"(.) ").lower()`: the normal form get_accuracy and get_choice compare. */
export function normalizeAnswer(s: string): string {
  return pyStrip(pyStrip(s), STRIP_CHARS).toLowerCase();
}

/** ASCII form of one Unicode decimal digit (\p{Nd}), or null. */
function asciiDigit(ch: string): string | null {
  if (ch >= '0' && ch <= '9') return ch;
  if (!/^\p{Nd}$/u.test(ch)) return null;
  // Unicode encodes each script's decimal digits as one contiguous run 0..9 (a stability policy),
  // some runs back to back (the mathematical digits): the value is the distance to the run's start, mod 10.
  let cp = ch.codePointAt(0)!;
  let start = cp;
  while (/^\p{Nd}$/u.test(String.fromCodePoint(start - 1))) start--;
  cp -= start;
  return String(cp % 10);
}

/** Replaces every Unicode decimal digit by its ASCII digit (Python's float() and int() do this). */
function toAsciiDigits(s: string): string {
  let out = '';
  for (const ch of s) out += asciiDigit(ch) ?? ch;
  return out;
}

/**
 * The white space Python's float() ignores around a number: str.isspace() characters but
 * U+001C–U+001F. CPython turns non-ASCII white space into " "
 * (_PyUnicode_TransformDecimalAndSpaceToASCII), then skips ASCII white space with Py_ISSPACE
 * (" \t\n\v\f\r"): the four ASCII separators that str.strip() removes stay, and
 * float("1\x1c") is a ValueError (checked under CPython 3.11).
 */
const isFloatSpace = (c: string) => PY_SPACE.has(c) && !(c >= '\u001c' && c <= '\u001f');

/**
 * Python's `float(s)` for a string: surrounding white space ignored (isFloatSpace); an optional sign; a
 * decimal literal with single underscores between digits, or inf / infinity / nan (any case);
 * Unicode decimal digits read as digits. Returns null where Python raises ValueError.
 */
export function pyFloat(s: string): number | null {
  let a = 0;
  let b = s.length;
  while (a < b && isFloatSpace(s[a]!)) a++;
  while (b > a && isFloatSpace(s[b - 1]!)) b--;
  const t = toAsciiDigits(s.slice(a, b));
  const m = /^([+-]?)(?:(inf|infinity)|(nan))$/i.exec(t);
  if (m) return m[3] ? NaN : m[1] === '-' ? -Infinity : Infinity;
  const digits = '[0-9](?:_?[0-9])*';
  const literal = new RegExp(
    `^[+-]?(?:${digits}(?:\\.(?:${digits})?)?|\\.${digits})(?:[eE][+-]?${digits})?$`,
  );
  if (!literal.test(t)) return null;
  return Number(t.replaceAll('_', ''));
}

/**
 * Python's `str(x)` (= repr) of a float: the shortest digits that round-trip, in fixed notation
 * when the decimal exponent is in [-4, 16) ("1.0", "0.0001", "1234567890123456.0"), else
 * scientific with a signed, at least two-digit exponent ("1e+16", "1e-05", "1.5e+300").
 * Rule: CPython's float_repr_style 'short' (Python/pystrtod.c, format code 'r').
 */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  if (x === 0) return `${sign}0.0`;
  const [mantissa, exp] = Math.abs(x).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const decpt = Number(exp) + 1; // value = 0.DIGITS × 10^decpt
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) return `${sign}0.${'0'.repeat(-decpt)}${digits}`;
    if (decpt >= digits.length) return `${sign}${digits}${'0'.repeat(decpt - digits.length)}.0`;
    return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
  }
  const e = decpt - 1;
  const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${sign}${m}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

/**
 * The free-answer rule, get_accuracy (utils/eval_tasks.py): correct when both sides are equal in
 * {@link normalizeAnswer}'s form, or when the output parses as a Python float whose str() equals
 * the whitespace-stripped target. The number part is one-way, as in the reference: output "1"
 * matches target "1.0" (str(float("1")) is "1.0"), but output "1.0" does not match target "1".
 */
export function matchFree(output: string, target: string): boolean {
  if (normalizeAnswer(output) === normalizeAnswer(target)) return true;
  const value = pyFloat(output);
  return value !== null && pyFloatRepr(value) === pyStrip(target);
}

/**
 * The choice an answer names, get_choice (utils/eval_tasks.py): in {@link normalizeAnswer}'s form,
 * the first of "a".."z", "0".."9", "10" that it starts with, or null. ("10" is never reached: "1"
 * comes first.) So "B) Paris" → "b", "(c)" → "c", "The answer is B" → "t", "**B**" → null.
 */
export function choiceOf(text: string): string | null {
  const first = normalizeAnswer(text)[0];
  return first !== undefined && /^[a-z0-9]$/.test(first) ? first : null;
}

/**
 * get_choice_accuracy (utils/eval_tasks.py): both sides name the same choice. As in the reference,
 * two nulls are equal; our example sets and the benchmark targets always name a choice.
 */
export function matchChoice(output: string, target: string): boolean {
  return choiceOf(output) === choiceOf(target);
}

/**
 * Whether the choice of a longer output that starts with `prefix` is already fixed: the first
 * character that is neither whitespace nor one of STRIP_CHARS has been generated. A run may stop
 * generating there without changing the result. (Not in the reference, which always generates up
 * to its token limit; this only saves time. U+FFFD, a character cut in half, does not count.)
 */
export function choiceDecided(prefix: string): boolean {
  for (const ch of pyStrip(prefix)) {
    if (STRIP_CHARS.includes(ch)) continue;
    return ch !== '\uFFFD';
  }
  return false;
}

/**
 * get_bool_value_from_text (utils/eval_tasks.py): the first of these tests that holds, in order:
 * "1" in the text → true, "0" → false, then in the lowercased text "yes" → true, "no" → false,
 * "true" → true, "false" → false, "positive" → true, "negative" → false, "valid" → true,
 * "invalid" → false; else null. Substrings, as in the reference: "not" and "know" read as "no",
 * and "invalid" as "valid" (the last test is never reached).
 */
export function boolOf(text: string): boolean | null {
  if (text.includes('1')) return true;
  if (text.includes('0')) return false;
  const lower = text.toLowerCase();
  const words: Array<[string, boolean]> = [
    ['yes', true],
    ['no', false],
    ['true', true],
    ['false', false],
    ['positive', true],
    ['negative', false],
    ['valid', true],
    ['invalid', false],
  ];
  for (const [word, value] of words) if (lower.includes(word)) return value;
  return null;
}

/**
 * get_binary_accuracy_flex (utils/eval_tasks.py): both sides have a yes/no value and they agree;
 * an output with none is wrong. BoolQ's targets are Python's str(bool): "True" / "False".
 */
export function matchBool(output: string, target: string): boolean {
  const got = boolOf(output);
  const want = boolOf(target);
  return got !== null && want !== null && got === want;
}

/**
 * extract_answer_number (fishfarm tasks/language_restricted_math.py): the last match of
 * `\d*\.?\d+` (Python's `\d`: any Unicode decimal digit), as a float; null when there is none.
 * Signs are not part of the pattern: "-5" reads as 5.
 */
export function extractAnswerNumber(text: string): number | null {
  const matches = text.match(/\p{Nd}*\.?\p{Nd}+/gu);
  const last = matches?.[matches.length - 1];
  return last === undefined ? null : pyFloat(last.replaceAll(',', ''));
}

/**
 * GSM8K's target (vllm_eval.py eval_gsm8k): the dataset answer's last number, truncated to an
 * integer (Python int(float)); null when the answer holds no number.
 */
export function gsm8kTarget(answerField: string): number | null {
  const n = extractAnswerNumber(answerField);
  return n === null ? null : Math.trunc(n);
}

/**
 * LanguageRestrictedMathTask.evaluate (fishfarm): correct when the output's last number equals the
 * target number (`sample.answer == prediction`, an int against a float). `target` is the decimal
 * text of the target; as in Python, None == None holds.
 */
export function matchNumber(output: string, target: string): boolean {
  const want = pyStrip(target) === '' ? null : Number(target);
  return extractAnswerNumber(output) === want;
}

/** Applies `rule` to a model's output and the expected answer. */
export function matches(rule: MatchRule, output: string, target: string): boolean {
  switch (rule) {
    case 'free':
      return matchFree(output, target);
    case 'choice':
      return matchChoice(output, target);
    case 'bool':
      return matchBool(output, target);
    case 'number':
      return matchNumber(output, target);
  }
}

/**
 * Whether more output could still change `matches(rule, prefix + more, target)` for some `more`:
 * false once the result is fixed. `choice`: fixed at the first letter (choiceDecided); `bool`:
 * fixed once a "1" was generated (the first test); the others depend on the whole output.
 */
export function outputDecided(rule: MatchRule, prefix: string): boolean {
  if (rule === 'choice') return choiceDecided(prefix);
  if (rule === 'bool') return prefix.includes('1');
  return false;
}
