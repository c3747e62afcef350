/**
 * Starts `t2l serve` as a real process on a free port (--port 0) and resolves once it is ready:
 * for the CLI tests here, and for e2e tests (Playwright) that need a remote endpoint.
 *
 *   const srv = await spawnServe(['models/demo/packages', '--encoder', 'models/demo/encoder',
 *                                 '--cors-origin', 'http://localhost:5199']);
 *   ... srv.url ...
 *   await srv.stop();   // SIGTERM: in-flight requests finish, then the process exits
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');

export interface ServeProcess {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  proc: ChildProcess;
  /** Every stderr line so far (JSON log lines). */
  stderr: string[];
  /** SIGTERM, then the exit code once the process has ended. */
  stop(): Promise<number | null>;
}

/** `args` follow `t2l serve` (models folder first); --port 0 is added unless given. */
export async function spawnServe(
  args: string[],
  options: { timeoutMs?: number; waitReady?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<ServeProcess> {
  const argv = [join(ROOT, 'bin', 't2l.mjs'), 'serve', ...args];
  if (!args.includes('--port')) argv.push('--port', '0');
  const proc = spawn(process.execPath, argv, {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    ...(options.env ? { env: options.env } : {}),
  });
  const stderr: string[] = [];
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`t2l serve did not start:\n${stderr.join('\n')}`)),
      options.timeoutMs ?? 30_000,
    );
    let partial = '';
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        stderr.push(line);
        try {
          const entry = JSON.parse(line) as { msg?: string; url?: string };
          if (entry.msg === 'listening' && entry.url) {
            clearTimeout(timer);
            resolveUrl(entry.url);
          }
        } catch {
          /* not a log line */
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`t2l serve exited with ${code}:\n${stderr.join('\n')}`));
    });
  });
  if (options.waitReady ?? true) {
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    while ((await fetch(`${url}/v2/health/ready`).catch(() => null))?.status !== 200) {
      if (Date.now() > deadline) throw new Error(`t2l serve not ready:\n${stderr.join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    proc,
    stderr,
    stop: () => {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      return exited;
    },
  };
}
