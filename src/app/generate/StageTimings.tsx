import type { RunResult } from '../shared/run-store';
import { formatMs } from '../shared/format';
import { STAGES, type Stage } from '../worker/protocol';
import { STAGE_LABEL } from '../shared/labels';
import { cx } from '../shared/ui';

const STAGE_COLOR: Record<Stage, string> = {
  load: 'bg-sky-500',
  encode: 'bg-violet-500',
  hypernetwork: 'bg-indigo-500',
  pack: 'bg-emerald-500',
};

/** A bar of the four stages' shares and their times. */
export function StageTimings({ result }: { result: RunResult }) {
  const t = result.timings;
  const total = STAGES.reduce((n, s) => n + t[s], 0) || 1;
  return (
    <div data-testid="timings">
      <div className="mb-2 flex items-baseline justify-between text-xs">
        <span className="font-medium text-zinc-600 dark:text-zinc-300">Time per stage</span>
        <span className="text-zinc-500 tabular-nums dark:text-zinc-400">
          {formatMs(result.totalMs)} total
        </span>
      </div>
      <div
        className="flex h-2 overflow-hidden rounded-full bg-zinc-200 dark:bg-zinc-800"
        aria-hidden="true"
      >
        {STAGES.map((s) => (
          <div key={s} className={STAGE_COLOR[s]} style={{ width: `${(t[s] / total) * 100}%` }} />
        ))}
      </div>
      <dl className="mt-2 grid grid-cols-2 gap-x-6 gap-y-1 text-xs">
        {STAGES.map((s) => (
          <div key={s} className="flex items-center gap-1.5" data-testid={`timing-${s}`}>
            <span className={cx('h-2 w-2 rounded-sm', STAGE_COLOR[s])} aria-hidden="true" />
            <dt className="text-zinc-500 dark:text-zinc-400">{STAGE_LABEL[s]}</dt>
            <dd className="ml-auto font-medium tabular-nums">{formatMs(t[s])}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}
