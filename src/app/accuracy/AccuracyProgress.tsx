/** Examples done, examples per second and time left; the current stage; an error in place. */
import { accuracyPanel } from './accuracy';
import { useAccuracy } from './accuracy-store';
import { ProgressBar, Spinner } from '../shared/ui';

function seconds(s: number): string {
  if (s < 60) return `${Math.ceil(s)} s`;
  return `${Math.floor(s / 60)} min ${Math.ceil(s % 60)} s`;
}

export function AccuracyProgress({ panelKey, testId }: { panelKey: string; testId: string }) {
  useAccuracy((s) => s.panels[panelKey]);
  const p = accuracyPanel(panelKey);
  return (
    <div className="flex flex-col gap-2" aria-live="polite">
      {p.stage && (
        <p className="flex items-center gap-2 text-sm" data-testid={`${testId}-stage`}>
          <Spinner /> {p.stage}
        </p>
      )}
      {p.progress && (p.status === 'running' || p.status === 'cancelled') && (
        <div className="flex flex-col gap-1" data-testid={`${testId}-progress`}>
          <ProgressBar
            value={p.progress.total ? p.progress.done / p.progress.total : null}
            label="Examples scored"
          />
          <p className="text-xs text-zinc-600 dark:text-zinc-300">
            <span data-testid={`${testId}-done`}>
              {p.progress.done} of {p.progress.total}
            </span>{' '}
            examples
            {p.progress.perSecond !== null && ` · ${p.progress.perSecond.toFixed(2)} examples/s`}
            {p.status === 'running' &&
              p.progress.timeLeft !== null &&
              ` · about ${seconds(p.progress.timeLeft)} left`}
            {p.status === 'cancelled' && ' · cancelled: the finished rows are kept'}
          </p>
        </div>
      )}
      {p.note && (
        <p className="text-xs text-amber-800 dark:text-amber-300" data-testid={`${testId}-note`}>
          {p.note}
        </p>
      )}
      {p.error && (
        <div
          role="alert"
          className="rounded-lg border border-red-300 bg-red-50 p-3 text-sm dark:border-red-800 dark:bg-red-950"
          data-testid={`${testId}-error`}
        >
          <p className="font-semibold">{p.error.title}</p>
          <p className="break-words" data-testid={`${testId}-error-message`}>
            {p.error.message}
          </p>
        </div>
      )}
    </div>
  );
}
