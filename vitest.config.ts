import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // Vitest's default is one worker fewer than the CPUs: one worker on a 2-core machine. Many
    // files spend their time waiting for a child process (the CLI, the server, llama.cpp), so two
    // workers fill those waits: the whole run took 141 s against 277 s (2 cores, quiet, 59 files).
    maxWorkers: 2,
    // Hang guards, not time assertions: generous for files that spawn the CLI beside another worker.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
