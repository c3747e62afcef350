import { T2LError } from '../core/errors';

/** Splits "--module-order v_proj,q_proj" into names. */
export function parseModuleOrder(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0)
    throw new T2LError(
      'bad-input',
      '--module-order needs a comma-separated list, e.g. q_proj,v_proj',
    );
  return names;
}

/** Prints a warning line (`t2l: warning: …`) on stderr: something the user should know that does not stop the command. */
export function warn(message: string): void {
  process.stderr.write(`t2l: warning: ${message}\n`);
}
