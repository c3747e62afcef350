#!/usr/bin/env node
// The CLI is written in TypeScript and shares src/core with the app; tsx runs it without a build step.
import { spawn } from 'node:child_process';
import { register } from 'tsx/esm/api';
import { GLIBC_ALLOCATOR } from './allocator.mjs';

/*
 * `t2l serve` batches requests, and a batch's outputs (33.5 MB for a Mistral-L q_proj in a batch of
 * 8) pass glibc's 32 MiB mmap limit: every run then maps fresh pages (~25 000 page faults) and a
 * batch cost more per adapter than one alone (docs/benchmarks.md, "Batching"). glibc reads its
 * tunables from the environment only at process start, so the server re-executes itself once with
 * GLIBC_ALLOCATOR. Other commands run once and exit: they start directly.
 */

if (
  process.argv[2] === 'serve' &&
  process.platform === 'linux' &&
  process.env.MALLOC_MMAP_MAX_ === undefined
) {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, ...GLIBC_ALLOCATOR },
  });
  // The server finishes in-flight requests on SIGINT/SIGTERM: pass them on, and exit as it does.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => child.kill(signal));
  }
  child.on('exit', (code, signal) => {
    if (!signal) process.exit(code ?? 1);
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  });
} else {
  register();
  await import('../src/cli/main.ts');
}
