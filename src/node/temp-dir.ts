/**
 * A temporary folder that goes away on every way out of the process: the function returning or
 * throwing, `process.exit` (t2l eval's second Ctrl-C), an uncaught error, and SIGINT, SIGTERM or
 * SIGHUP. Without the signal handlers Node dies of the signal at once and a `finally` never runs,
 * which left /tmp/t2l-eval-* folders (adapter GGUFs, megabytes each) behind.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Creates a folder under the OS temporary folder (`prefix` + random letters, as mkdtemp), runs
 * `fn` with its path, and removes it, with all it holds, whatever happens:
 * - `fn` settles: removed, then its result or error is passed on;
 * - the process exits (`process.exit`, the end of the event loop, an uncaught error): removed
 *   synchronously in the 'exit' event;
 * - SIGINT, SIGTERM or SIGHUP arrives: when no other handler of that signal is installed, the
 *   folder is removed and the process exits with the shell's code for it (128 + the signal's
 *   number: 130, 143, 129). When another handler is (t2l eval's Ctrl-C, which cancels after the
 *   answer under way), that handler decides; the folder goes when `fn` returns or the process exits.
 */
export async function withTempDir<T>(prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const removeNow = () => {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Exiting: nothing better to do than leave it.
    }
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (process.listenerCount(signal) > 1) return;
    removeNow();
    process.exit(128 + constants.signals[signal]);
  };
  process.on('exit', removeNow);
  for (const s of SIGNALS) process.on(s, onSignal);
  try {
    return await fn(dir);
  } finally {
    for (const s of SIGNALS) process.off(s, onSignal);
    process.off('exit', removeNow);
    await rm(dir, { recursive: true, force: true });
  }
}
