/**
 * One fuzz worker process: makes each input it is sent, runs the target's readers on it and
 * reports the outcome and its peak memory. The parent (run.ts) enforces the time and memory
 * bounds by killing this process, so a hang or a runaway allocation cannot take the run down.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { T2LError } from '../../src/core/errors';
import { inputSeed, rng } from './mutate';
import { makeInput, runTarget, writeInput, type Target } from './targets';

export interface Job {
  target: Target;
  seed: number;
  i: number;
  dir: string;
}

export interface Outcome {
  i: number;
  kind: 'accepted' | 'refused' | 'crash' | 'wrong';
  code?: string;
  detail?: string;
  ms: number;
  /** CPU time (user + system) of the reader, ms. */
  cpuMs: number;
  peakMb: number;
}

/** Peak resident memory since the last reset, from /proc (Linux); 0 where unavailable. */
function peakMb(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

const cpuTotal = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

function resetPeak(): void {
  try {
    writeFileSync('/proc/self/clear_refs', '5'); // resets VmHWM to the current RSS
  } catch {
    /* not Linux: the parent's RSS sampling still bounds memory */
  }
}

process.on('message', (job: Job) => {
  void (async () => {
    let t0 = performance.now();
    let c0 = process.cpuUsage();
    let out: Omit<Outcome, 'ms' | 'cpuMs' | 'peakMb'>;
    try {
      writeInput(job.dir, await makeInput(job.target, rng(inputSeed(job.seed, job.target, job.i))));
      // The clock starts now: making the input (deflating a bomb) is not the reader's time.
      process.send!('built');
      resetPeak();
      t0 = performance.now();
      c0 = process.cpuUsage();
      const verdict = await runTarget(job.target, job.dir);
      out =
        verdict === 'accepted'
          ? { i: job.i, kind: 'accepted' }
          : { i: job.i, kind: 'wrong', detail: verdict.wrong };
    } catch (e) {
      out =
        e instanceof T2LError
          ? { i: job.i, kind: 'refused', code: e.code, detail: e.message.slice(0, 300) }
          : {
              i: job.i,
              kind: 'crash',
              detail: e instanceof Error ? (e.stack ?? e.message) : String(e),
            };
    }
    rmSync(job.dir, { recursive: true, force: true });
    process.send!({
      ...out,
      ms: performance.now() - t0,
      cpuMs: cpuTotal(process.cpuUsage(c0)),
      peakMb: peakMb(),
    } satisfies Outcome);
  })();
});
process.send!('ready');
