/**
 * A process for test/unit/node/temp-dir.test.ts: runs withTempDir, prints the folder's path and
 * then does what argv[2] says:
 * - wait: waits until a signal ends it;
 * - own-sigint: installs its own SIGINT handler (as t2l eval's Ctrl-C), which ends `fn` on the
 *   first SIGINT and exits 130 (process.exit) on a second arriving before that;
 * - throw: throws from `fn` (exit 1, as an unexpected error);
 * - exit: calls process.exit(3) inside `fn`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withTempDir } from '../../src/node/temp-dir';

const mode = process.argv[2];
await withTempDir('t2l-temp-dir-test-', async (dir) => {
  writeFileSync(join(dir, 'adapter.gguf'), 'bytes');
  process.stdout.write(`${dir}\n`);
  if (mode === 'throw') throw new Error('failed on purpose');
  if (mode === 'exit') process.exit(3);
  await new Promise<void>((done) => {
    // Keeps the event loop alive until a signal.
    const timer = setInterval(() => undefined, 60_000);
    if (mode === 'own-sigint') {
      let cancelled = false;
      process.on('SIGINT', () => {
        if (cancelled) process.exit(130);
        cancelled = true;
        process.stdout.write('cancelling\n');
        // The run "finishes the answer under way" a while later, unless a second Ctrl-C comes.
        setTimeout(
          () => {
            clearInterval(timer);
            done();
          },
          Number(process.argv[3] ?? 0),
        );
      });
    }
  });
});
process.stdout.write('returned\n');
