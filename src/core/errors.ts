/**
 * What kind of problem an error is, so callers (CLI exit codes, HTTP status, UI hints) can react.
 * The last three name failures outside the input: 'http' a download the server refused or broke
 * off (the page's workers add its status and URL), 'cancelled' a run the user stopped, 'internal'
 * anything unexpected (a bug, a worker that crashed).
 */
export const T2L_ERROR_CODES = [
  'bad-zip',
  'bad-pickle',
  'forbidden-global',
  'missing-file',
  /** A folder of something else where a hypernetwork was expected (e.g. a PEFT LoRA adapter). */
  'wrong-folder',
  'missing-tensor',
  'bad-shape',
  'args-mismatch',
  'unsupported',
  'bad-config',
  'bad-safetensors',
  'bad-input',
  'bad-package',
  'runtime',
  'http',
  'cancelled',
  'internal',
] as const;

export type T2LErrorCode = (typeof T2L_ERROR_CODES)[number];

/** Whether `code` (e.g. one that crossed from a worker as a string) is one of T2L_ERROR_CODES. */
export function isT2LErrorCode(code: string): code is T2LErrorCode {
  return (T2L_ERROR_CODES as readonly string[]).includes(code);
}

/** Every error the core raises on bad input: the message names the file, key and expected vs found. */
export class T2LError extends Error {
  readonly code: T2LErrorCode;

  constructor(code: T2LErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'T2LError';
    this.code = code;
  }
}

export function shapeString(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
