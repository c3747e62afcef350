/** Runs the `t2l` command line as a real process, for the CLI tests: exit code and both streams. */
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const ROOT = resolve(import.meta.dirname, '..', '..');
const run = promisify(execFile);

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `bin/t2l.mjs <args>` with this Node, from the repository root; `viaNpx` goes through `npx t2l`.
 * `env` replaces the environment (default: this process's).
 */
export async function t2l(
  args: string[],
  viaNpx = false,
  env?: NodeJS.ProcessEnv,
): Promise<CliResult> {
  const [cmd, argv] = viaNpx
    ? ['npx', ['--no-install', 't2l', ...args]]
    : [process.execPath, [join(ROOT, 'bin', 't2l.mjs'), ...args]];
  try {
    const { stdout, stderr } = await run(cmd, argv, {
      cwd: ROOT,
      maxBuffer: 1 << 24,
      ...(env ? { env } : {}),
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as CliResult;
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}
