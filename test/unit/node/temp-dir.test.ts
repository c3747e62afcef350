/**
 * withTempDir (src/node/temp-dir.ts) in real child processes (test/support/temp-dir-child.ts):
 * killed by SIGINT, SIGTERM or SIGHUP, exiting, throwing, or cancelled by its own Ctrl-C handler,
 * the folder is gone afterwards and the exit code is the conventional one (review 11: `t2l eval`
 * left /tmp/t2l-eval-* folders behind when killed).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
// A private TMPDIR: the children's folders are found here and nowhere else.
const tmp = mkdtempSync(join(tmpdir(), 't2l-temp-dir-parent-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Child {
  /** The folder the child printed, once it exists. */
  dir: Promise<string>;
  /** Resolves when a line of stdout matches. */
  line: (text: string) => Promise<void>;
  kill: (signal: NodeJS.Signals) => void;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }>;
}

function start(...args: string[]): Child {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'test', 'support', 'temp-dir-child.ts'), ...args],
    { cwd: ROOT, env: { ...process.env, TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  const waiters: Array<[string, () => void]> = [];
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    for (const [text, ok] of waiters) if (stdout.includes(text)) ok();
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }>(
    (ok) => child.on('exit', (code, signal) => ok({ code, signal, stdout })),
  );
  const line = (text: string) =>
    new Promise<void>((ok, fail) => {
      if (stdout.includes(text)) return ok();
      waiters.push([text, ok]);
      void exit.then(() => fail(new Error(`exited before "${text}": ${stdout} ${stderr}`)));
    });
  const dir = line(`${tmp}/`).then(() => stdout.split('\n')[0]!);
  return { dir, line, kill: (s) => child.kill(s), exit };
}

describe('withTempDir: the folder is removed on every way out', { timeout: 60_000 }, () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const)('killed by %s: removed, exit code %i', async (signal, code) => {
    const child = start('wait');
    const dir = await child.dir;
    expect(existsSync(join(dir, 'adapter.gguf'))).toBe(true);
    child.kill(signal);
    const end = await child.exit;
    expect([end.code, end.signal]).toEqual([code, null]);
    expect(existsSync(dir)).toBe(false);
  });

  it('process.exit inside, and an error thrown out of it: removed', async () => {
    for (const [mode, code] of [
      ['exit', 3],
      ['throw', 1],
    ] as const) {
      const child = start(mode);
      const dir = await child.dir;
      const end = await child.exit;
      expect(end.code).toBe(code);
      expect(existsSync(dir)).toBe(false);
    }
  });

  it('with its own Ctrl-C handler (t2l eval cancels): one SIGINT lets it finish, then removed; a second exits 130, removed', async () => {
    const once = start('own-sigint', '0');
    const dir1 = await once.dir;
    once.kill('SIGINT');
    const end1 = await once.exit;
    expect(end1.code).toBe(0);
    expect(end1.stdout).toContain('returned');
    expect(existsSync(dir1)).toBe(false);

    // The "answer under way" takes a minute: the second Ctrl-C quits.
    const twice = start('own-sigint', '60000');
    const dir2 = await twice.dir;
    twice.kill('SIGINT');
    await twice.line('cancelling');
    expect(existsSync(dir2)).toBe(true);
    twice.kill('SIGINT');
    const end2 = await twice.exit;
    expect(end2.code).toBe(130);
    expect(existsSync(dir2)).toBe(false);
  });
});
