/**
 * `npm run fuzz [-- --count N --seed S --targets a,b --jobs J --cli K]`: mutates the demo
 * checkpoints, packages and embedding files (scripts/fuzz/targets.ts) and feeds each input to the
 * CLI's own readers in a worker process bounded to --timeout-ms (default 5000) and --max-mb
 * (default 1024) of resident memory. Fails (exit 1) on any error that is not a T2LError, any
 * input over the time or memory bound, and any silently wrong output; such inputs are kept under
 * .scratch/fuzz/<target>-<i>/ to reproduce. --cli K also runs the first K inputs of each target
 * through the real command line (bin/t2l.mjs) and fails if it prints a stack trace.
 * Figures of a long run: docs/fuzz.md.
 */
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Job, Outcome } from './child';
import { inputSeed, rng } from './mutate';
import { makeInput, TARGETS, writeInput, type Target } from './targets';

const ROOT = resolve(import.meta.dirname, '..', '..');
const { values: args } = parseArgs({
  options: {
    count: { type: 'string', default: '700' },
    seed: { type: 'string', default: '1' },
    targets: { type: 'string', default: TARGETS.join(',') },
    jobs: { type: 'string', default: '2' },
    'timeout-ms': { type: 'string', default: '5000' },
    'max-mb': { type: 'string', default: '1024' },
    'wall-ms': { type: 'string' },
    cli: { type: 'string', default: '0' },
    only: { type: 'string' },
  },
});
const targets = args.targets!.split(',') as Target[];
for (const t of targets) if (!TARGETS.includes(t)) throw new Error(`unknown target ${t}`);
const count = Number(args.count);
const seed = Number(args.seed);
const timeoutMs = Number(args['timeout-ms']);
const maxMb = Number(args['max-mb']);
const wallMs = Number(args['wall-ms'] ?? 12 * timeoutMs);
const jobsN = Math.max(1, Number(args.jobs));
const scratch = join(ROOT, '.scratch', 'fuzz');
const work = join(tmpdir(), `t2l-fuzz-${process.pid}`);

interface Stats {
  inputs: number;
  accepted: number;
  refused: Record<string, number>;
  crash: number;
  hang: number;
  memory: number;
  wrong: number;
  maxMs: number;
  maxCpuMs: number;
  maxMb: number;
}
const stats = new Map<Target, Stats>(
  targets.map((t) => [
    t,
    {
      inputs: 0,
      accepted: 0,
      refused: {},
      crash: 0,
      hang: 0,
      memory: 0,
      wrong: 0,
      maxMs: 0,
      maxCpuMs: 0,
      maxMb: 0,
    },
  ]),
);
const failures: string[] = [];

// The queue: round-robin over targets so that a short run covers each one.
const queue: { target: Target; i: number }[] = [];
if (args.only) {
  const [t, i] = args.only.split(':');
  queue.push({ target: t as Target, i: Number(i) });
} else {
  const per = Math.ceil(count / targets.length);
  for (let i = 0; i < per; i++) for (const target of targets) queue.push({ target, i });
  queue.length = Math.min(queue.length, count);
}

async function keep(target: Target, i: number, why: string): Promise<void> {
  const dir = join(scratch, `${target}-${i}`);
  failures.push(
    `${target} #${i}: ${why.split('\n').slice(0, 6).join('\n    ')}\n    input: ${dir} (reproduce: npm run fuzz -- --seed ${seed} --only ${target}:${i})`,
  );
  rmSync(dir, { recursive: true, force: true });
  writeInput(dir, await makeInput(target, rng(inputSeed(seed, target, i))));
}

/** CPU time (user + system) a process has used, in ms, from /proc/<pid>/stat (Linux; USER_HZ 100). */
function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return 0;
  }
}

function vmRssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

function startChild(): Promise<ChildProcess> {
  const child = fork(join(import.meta.dirname, 'child.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  child.stderr!.resume();
  return new Promise((res, rej) => {
    child.once('message', () => res(child));
    child.once('exit', (code) =>
      rej(new Error(`fuzz worker exited (${code}) before it was ready`)),
    );
  });
}

async function worker(w: number): Promise<void> {
  let child = await startChild();
  for (;;) {
    const next = queue.shift();
    if (!next) break;
    const { target, i } = next;
    const s = stats.get(target)!;
    s.inputs++;
    const job: Job = { target, seed, i, dir: join(work, `${w}-${target}-${i}`) };
    const outcome = await new Promise<Outcome | 'hang' | 'memory' | 'exit'>((res) => {
      let peak = 0;
      const poll = setInterval(() => {
        peak = Math.max(peak, vmRssMb(child.pid!));
        if (peak > maxMb) done('memory');
        else if (cpu0 !== undefined && cpuMs(child.pid!) - cpu0 > timeoutMs) done('hang');
      }, 50);
      // The bound is on the CPU time the reader burns (a busy loop), so that a loaded machine
      // does not turn slow inputs into "hangs"; a reader blocked without burning CPU is caught by
      // the wall-clock cap (--wall-ms, default 12 × --timeout-ms).
      let timer: NodeJS.Timeout | undefined;
      let cpu0: number | undefined;
      const onMessage = (m: Outcome | 'built') => {
        if (m === 'built') {
          cpu0 = cpuMs(child.pid!);
          timer = setTimeout(() => done('hang'), wallMs);
        } else done(m);
      };
      const onExit = () => done('exit');
      function done(v: Outcome | 'hang' | 'memory' | 'exit') {
        clearInterval(poll);
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        res(v);
      }
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send(job);
    });
    if (typeof outcome === 'string') {
      // Killed (or died): the input goes on record, and a fresh worker takes over.
      child.kill('SIGKILL');
      rmSync(job.dir, { recursive: true, force: true });
      if (outcome === 'hang') s.hang++;
      else if (outcome === 'memory') s.memory++;
      else s.crash++;
      await keep(
        target,
        i,
        outcome === 'hang'
          ? `over ${timeoutMs} ms`
          : outcome === 'memory'
            ? `over ${maxMb} MB`
            : 'the worker died',
      );
      child = await startChild();
      continue;
    }
    s.maxMs = Math.max(s.maxMs, outcome.ms);
    s.maxCpuMs = Math.max(s.maxCpuMs, outcome.cpuMs);
    s.maxMb = Math.max(s.maxMb, outcome.peakMb);
    if (outcome.peakMb > maxMb) {
      s.memory++;
      await keep(target, i, `peak ${outcome.peakMb.toFixed(0)} MB`);
    } else if (outcome.kind === 'accepted') s.accepted++;
    else if (outcome.kind === 'refused')
      s.refused[outcome.code!] = (s.refused[outcome.code!] ?? 0) + 1;
    else if (outcome.kind === 'wrong') {
      s.wrong++;
      await keep(target, i, `silently wrong: ${outcome.detail}`);
    } else {
      s.crash++;
      await keep(target, i, `not a T2LError: ${outcome.detail}`);
    }
  }
  child.kill();
}

/** Runs the real CLI on the first K inputs of each target: no stack trace may reach the user. */
async function cliCheck(k: number): Promise<number> {
  let runs = 0;
  for (const target of targets) {
    for (let i = 0; i < k; i++) {
      const dir = join(work, `cli-${target}-${i}`);
      writeInput(dir, await makeInput(target, rng(inputSeed(seed, target, i))));
      const argv =
        target === 'safetensors'
          ? [
              'generate',
              join(ROOT, 'models', 'demo', 'packages', 'M'),
              '--embedding',
              join(dir, 'emb.safetensors'),
              '-o',
              join(dir, 'out'),
            ]
          : target === 'chat-template'
            ? null // rendered by t2l try only with a base model: test/cli/try.test.ts runs the cases
            : ['inspect', dir];
      if (argv === null) continue;
      if (target === 'safetensors' && !existsSync(join(ROOT, 'models', 'demo', 'packages', 'M')))
        continue;
      const r = spawnSync(process.execPath, [join(ROOT, 'bin', 't2l.mjs'), ...argv], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      runs++;
      if (/^\s+at .+\(.*:\d+:\d+\)$/m.test(r.stderr) || /unexpected error/.test(r.stderr)) {
        failures.push(
          `${target} #${i}: the CLI printed a stack trace or an unexpected error:\n    ${r.stderr.slice(0, 500)}`,
        );
      }
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return runs;
}

const t0 = performance.now();
const load0 = loadavg()[0]!;
mkdirSync(work, { recursive: true });
await Promise.all(Array.from({ length: jobsN }, (_, w) => worker(w)));
const cliRuns = await cliCheck(Number(args.cli));
rmSync(work, { recursive: true, force: true });
const seconds = (performance.now() - t0) / 1000;

const rows = [...stats].map(([t, s]) => {
  const refused = Object.entries(s.refused)
    .map(([c, n]) => `${c} ${n}`)
    .join(', ');
  return `${t.padEnd(15)} ${String(s.inputs).padStart(6)} ${String(s.accepted).padStart(8)} ${String(s.crash).padStart(9)} ${String(s.hang).padStart(5)} ${String(s.memory).padStart(7)} ${String(s.wrong).padStart(6)} ${s.maxMs.toFixed(0).padStart(7)} ${s.maxCpuMs.toFixed(0).padStart(7)} ${s.maxMb.toFixed(0).padStart(7)}  ${refused}`;
});
process.stdout.write(
  [
    `fuzz: seed ${seed}, ${queue.length === 0 ? [...stats.values()].reduce((n, s) => n + s.inputs, 0) : '?'} inputs, ${jobsN} workers, bounds ${timeoutMs} ms CPU (${wallMs} ms wall) / ${maxMb} MB; ${seconds.toFixed(0)} s, load average ${load0.toFixed(1)} → ${loadavg()[0]!.toFixed(1)}`,
    `target          inputs accepted non-T2L  >time >memory  wrong  max ms max cpu  max MB  refused (T2LError codes)`,
    ...rows,
    ...(cliRuns > 0 ? [`real CLI: ${cliRuns} runs checked for stack traces`] : []),
    ...(failures.length > 0
      ? ['', `${failures.length} failures:`, ...failures.map((f) => `  ${f}`)]
      : ['ok']),
  ].join('\n') + '\n',
);
process.exitCode = failures.length > 0 ? 1 : 0;
