/**
 * `npm test`: every check the project has, in three phases, the steps of a phase side by side
 * (they do not depend on each other) where the old script ran them one after another:
 *
 * 1. the fixtures (models/demo, test fixtures), which everything below reads;
 * 2. the two production builds the browser specs serve (the build of this version, and the "next
 *    deployment" app-update.spec.ts switches to): ~10 s each at rest, side by side;
 * 3. Playwright beside typecheck, lint (eslint, prettier, import circles), the fuzz run and vitest.
 *    Playwright is the long pole (one page at a time, ~10 min at rest) and needs only the builds,
 *    so it starts as soon as they are made; the other steps run at a lower CPU priority
 *    (`nice -n 10`) and fill the time it leaves the CPU idle (page starts, worker starts,
 *    downloads, waits on its Node children) instead of slowing its SwiftShader and wasm work
 *    (E2E_STAGE timeouts). vitest gets one worker here, as when it ran beside Playwright alone.
 *    A failed typecheck or lint no longer spares the Playwright run, but its output is printed
 *    as soon as it ends, and the run fails at the end as before.
 *
 * Playwright's output streams as it comes; the other steps' output is kept and printed whole when
 * each ends, so the log reads step by step. A phase with a failed step ends the run after the
 * phase (every step of it finishes and reports first), as the old `a && b && …` chain stopped.
 *
 * T2L_TEST_SERIAL=1 runs every step one at a time, in the order above (phase 3: the checks, vitest
 * with its configured workers, then Playwright), at normal priority, for a machine too loaded to
 * share. Times per step are printed at the end; docs/tests.md has the measurements.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { E2E_DIST, E2E_NEXT_DIST, nextVersion } from '../e2e/ports';

const ROOT = resolve(import.meta.dirname, '..');

export interface Step {
  name: string;
  /** Program and arguments, run from the repository root without a shell. */
  argv: string[];
  env?: Record<string, string>;
  /** Print the output as it comes (else kept and printed when the step ends). */
  stream?: boolean;
}

export interface StepResult {
  name: string;
  code: number;
  seconds: number;
}

type Print = (text: string) => void;

/** Runs one step; resolves (never rejects) with its exit code (1 for a failed start). */
export function runStep(
  step: Step,
  print: Print = (t) => process.stdout.write(t),
): Promise<StepResult> {
  const start = performance.now();
  return new Promise((done) => {
    const [program, ...args] = step.argv;
    const child = spawn(program!, args, {
      cwd: ROOT,
      env: { ...process.env, ...step.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const kept: Buffer[] = [];
    const take = (chunk: Buffer) => (step.stream ? print(chunk.toString()) : kept.push(chunk));
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    let failedStart: Error | undefined;
    child.on('error', (e) => (failedStart = e));
    child.on('close', (code, signal) => {
      const seconds = (performance.now() - start) / 1000;
      const status = failedStart
        ? `could not start: ${failedStart.message}`
        : `exit ${code ?? signal}`;
      const out = Buffer.concat(kept).toString();
      print(
        `\n── ${step.name} (${status}, ${seconds.toFixed(1)} s)${out ? ' ──\n' : ''}${out}` +
          (out && !out.endsWith('\n') ? '\n' : ''),
      );
      done({ name: step.name, code: failedStart ? 1 : (code ?? 1), seconds });
    });
  });
}

/** Runs the steps side by side and waits for all of them (a failure does not stop the others). */
export async function runPhase(steps: Step[], print?: Print): Promise<StepResult[]> {
  return Promise.all(steps.map((s) => runStep(s, print)));
}

/** Runs the phases in order; stops after the first phase with a failed step. */
export async function runPhases(
  phases: Step[][],
  serial: boolean,
  print?: Print,
): Promise<{ ok: boolean; results: StepResult[] }> {
  const results: StepResult[] = [];
  for (const phase of phases) {
    const done = serial
      ? await phase.reduce<Promise<StepResult[]>>(
          async (acc, s) => [...(await acc), await runStep(s, print)],
          Promise.resolve([]),
        )
      : await runPhase(phase, print);
    results.push(...done);
    if (done.some((r) => r.code !== 0)) return { ok: false, results };
  }
  return { ok: true, results };
}

const npx = (...args: string[]) => ['npx', ...args];

/** The project's checks, as `npm test` runs them. */
export function projectPhases(serial: boolean): Step[][] {
  const e2eBuild = { T2L_E2E: '1' };
  // Behind Playwright: the steps that only fill the CPU it leaves idle (see the top of the file).
  const behind = (argv: string[]) => (serial ? argv : ['nice', '-n', '10', ...argv]);
  return [
    [{ name: 'fixtures', argv: npx('tsx', 'scripts/make-fixtures.ts') }],
    [
      {
        name: 'build for e2e',
        argv: npx('vite', 'build', '--outDir', E2E_DIST, '--emptyOutDir', '--logLevel', 'warn'),
        env: e2eBuild,
      },
      {
        name: 'build for e2e (next version)',
        argv: npx(
          'vite',
          'build',
          '--outDir',
          E2E_NEXT_DIST,
          '--emptyOutDir',
          '--logLevel',
          'warn',
        ),
        env: { ...e2eBuild, T2L_VERSION: nextVersion(packageVersion()) },
      },
    ],
    [
      { name: 'typecheck', argv: behind(npx('tsc', '--noEmit', '-p', '.')) },
      { name: 'eslint', argv: behind(npx('eslint', '.')) },
      { name: 'prettier', argv: behind(npx('prettier', '--check', '.')) },
      // `npm run lint`'s third part: no import circle in src/ (dpdm; type-only imports count).
      { name: 'import circles', argv: behind(['npm', 'run', '--silent', 'check:cycles']) },
      { name: 'fuzz', argv: behind(npx('tsx', 'scripts/fuzz/run.ts', '--count', '1800')) },
      {
        name: 'vitest',
        argv: behind(npx('vitest', 'run', ...(serial ? [] : ['--maxWorkers', '1']))),
      },
      {
        name: 'playwright',
        argv: npx('playwright', 'test'),
        // playwright.config.ts serves the builds of phase 2 instead of building again.
        env: { E2E_PREBUILT: '1' },
        stream: true,
      },
    ],
  ];
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string })
    .version;
}

async function main(): Promise<void> {
  const serial = Boolean(process.env.T2L_TEST_SERIAL);
  const start = performance.now();
  const { ok, results } = await runPhases(projectPhases(serial), serial);
  const total = (performance.now() - start) / 1000;
  console.log(`\nnpm test: ${ok ? 'passed' : 'FAILED'} in ${total.toFixed(0)} s`);
  for (const r of results) {
    console.log(
      `  ${r.code === 0 ? 'ok  ' : 'FAIL'} ${r.name.padEnd(30)} ${r.seconds.toFixed(1)} s`,
    );
  }
  process.exitCode = ok ? 0 : 1;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  void main();
}
