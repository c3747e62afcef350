/**
 * `npm test`'s runner (scripts/test-all.ts): steps of a phase run side by side, a failed step fails
 * the run and stops it after its phase, and every check the old `a && b && …` script ran is still
 * a step. Real child processes (node -e), no mocks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectPhases, runPhases, type Step } from '../../../scripts/test-all';

const node = (name: string, code: string): Step => ({
  name,
  argv: [process.execPath, '-e', code],
});
const quiet = () => {};

describe('runPhases', () => {
  it('runs the steps of a phase side by side', async () => {
    // A rendezvous: each step marks itself started, then waits until all three have. One at a time,
    // the first would wait for the others until its guard gives up (exit 2).
    const dir = mkdtempSync(join(tmpdir(), 't2l-test-all-'));
    const meet = (name: string) =>
      node(
        name,
        `const fs = require('fs'), p = require('path'), d = ${JSON.stringify(dir)};
         fs.writeFileSync(p.join(d, '${name}'), '');
         setInterval(() => {
           if (['a', 'b', 'c'].every((n) => fs.existsSync(p.join(d, n)))) process.exit(0);
         }, 20);
         setTimeout(() => process.exit(2), 20000);`,
      );
    try {
      const { ok, results } = await runPhases([[meet('a'), meet('b'), meet('c')]], false, quiet);
      expect(results.map((r) => [r.name, r.code])).toEqual([
        ['a', 0],
        ['b', 0],
        ['c', 0],
      ]);
      expect(ok).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a failed step fails the run, lets its phase finish, and stops before the next phase', async () => {
    const out: string[] = [];
    const { ok, results } = await runPhases(
      [
        [node('fails', 'console.error("boom"); process.exit(3)'), node('passes', '')],
        [node('never', '')],
      ],
      false,
      (t) => out.push(t),
    );
    expect(ok).toBe(false);
    expect(results.map((r) => [r.name, r.code])).toEqual([
      ['fails', 3],
      ['passes', 0],
    ]);
    // The failed step's own output is printed under its name.
    expect(out.join('')).toMatch(/── fails \(exit 3, [\d.]+ s\) ──\nboom\n/);
  });

  it('serially too: a failure stops the run', async () => {
    const { ok, results } = await runPhases(
      [[node('one', 'process.exit(1)'), node('two', '')], [node('three', '')]],
      true,
      quiet,
    );
    expect(ok).toBe(false);
    expect(results.map((r) => r.name)).toEqual(['one', 'two']);
  });

  it('a program that cannot start is a failed step, not a crash', async () => {
    const { ok, results } = await runPhases(
      [[{ name: 'missing', argv: ['/nonexistent/program'] }]],
      false,
      quiet,
    );
    expect(ok).toBe(false);
    expect(results[0]!.code).toBe(1);
  });
});

describe("npm test's steps", () => {
  it('keep every check of the old chain: fixtures, typecheck, lint, vitest, fuzz 1800, Playwright', () => {
    for (const serial of [false, true]) {
      const phases = projectPhases(serial);
      const argv = phases.flat().map((s) => s.argv.join(' '));
      const behind = serial ? '' : 'nice -n 10 ';
      expect(argv).toEqual([
        'npx tsx scripts/make-fixtures.ts',
        'npx vite build --outDir dist-e2e --emptyOutDir --logLevel warn',
        'npx vite build --outDir dist-e2e-next --emptyOutDir --logLevel warn',
        `${behind}npx tsc --noEmit -p .`,
        `${behind}npx eslint .`,
        `${behind}npx prettier --check .`,
        `${behind}npm run --silent check:cycles`,
        `${behind}npx tsx scripts/fuzz/run.ts --count 1800`,
        `${behind}${serial ? 'npx vitest run' : 'npx vitest run --maxWorkers 1'}`,
        'npx playwright test',
      ]);
      // The fixtures come first; Playwright only after both builds it serves, at normal priority.
      expect(phases[0]!.map((s) => s.name)).toEqual(['fixtures']);
      expect(phases[1]!.map((s) => s.name)).toEqual([
        'build for e2e',
        'build for e2e (next version)',
      ]);
      expect(phases.at(-1)!.map((s) => s.name)).toContain('playwright');
      expect(phases.at(-1)!.find((s) => s.name === 'playwright')!.env).toEqual({
        E2E_PREBUILT: '1',
      });
    }
  });

  it('runs a step behind `nice` at a lower CPU priority, as a real child process sees it', async () => {
    const vitest = projectPhases(false)
      .flat()
      .find((s) => s.name === 'vitest')!;
    const prefix = vitest.argv.slice(0, vitest.argv.indexOf('npx'));
    const out: string[] = [];
    const { ok } = await runPhases(
      [
        [
          {
            name: 'priority',
            argv: [...prefix, process.execPath, '-e', 'console.log(require("os").getPriority())'],
          },
        ],
      ],
      false,
      (t) => out.push(t),
    );
    expect(ok).toBe(true);
    // Niceness stops at 19: under `npm test` vitest itself already runs at 10.
    expect(out.join('')).toMatch(new RegExp(`\\n${Math.min(19, os.getPriority() + 10)}\\n`));
  });
});
