/** What kind of problem an error is, so callers (CLI exit codes, HTTP status, UI hints) can react. */
export type T2LErrorCode =
  | 'bad-zip'
  | 'bad-pickle'
  | 'forbidden-global'
  | 'missing-file'
  /** A folder of something else where a hypernetwork was expected (e.g. a PEFT LoRA adapter). */
  | 'wrong-folder'
  | 'missing-tensor'
  | 'bad-shape'
  | 'args-mismatch'
  | 'unsupported'
  | 'bad-config'
  | 'bad-safetensors'
  | 'bad-input'
  | 'bad-package'
  | 'runtime';

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
