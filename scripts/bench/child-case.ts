/**
 * Node cases of `npm run bench` run in a child process (its own heap, so its memory and timings are
 * the case's own): the child prints its result as JSON on its last stdout line.
 */
import { spawn } from 'node:child_process';
import { join, resolve as resolvePath } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

/**
 * Runs `script` (a path, relative to scripts/bench/) with tsx in the repository root, `nodeFlags`
 * before tsx's and `env` added to this process's environment, and parses the JSON on its last
 * stdout line. Rejects with `exit <code>: <the last three lines of stderr>` when that line is not
 * JSON (the child failed or printed nothing).
 */
export function runChildCase<T>(
  script: string,
  args: readonly string[],
  o: { env?: Record<string, string>; nodeFlags?: readonly string[] } = {},
): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        ...(o.nodeFlags ?? []),
        '--import',
        'tsx',
        resolvePath(import.meta.dirname, script),
        ...args,
      ],
      { cwd: ROOT, env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => {
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as T);
      } catch {
        reject(new Error(`exit ${code}: ${err.trim().split('\n').slice(-3).join(' ')}`));
      }
    });
  });
}
