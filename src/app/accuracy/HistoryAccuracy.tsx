/** A History entry's accuracy reports (newest first), read when opened. */
import { loadSavedReports } from './accuracy';
import { percent } from './accuracy-report';
import type { HistoryEntry } from '../shared/storage/history-db';
import { useAccuracy } from './accuracy-store';
import { AccuracyReportView } from './AccuracyResults';

export function HistoryAccuracy({ e }: { e: HistoryEntry }) {
  const saved = useAccuracy((s) => s.saved[e.id] ?? null);
  return (
    <details
      className="text-sm"
      data-testid="history-accuracy"
      onToggle={(ev) => {
        if ((ev.currentTarget as HTMLDetailsElement).open) void loadSavedReports(e.id);
      }}
    >
      <summary className="cursor-pointer text-xs text-indigo-700 dark:text-indigo-300">
        Accuracy
      </summary>
      <div className="mt-2 flex flex-col gap-3">
        {saved && saved.length === 0 && (
          <p
            className="text-xs text-zinc-600 dark:text-zinc-300"
            data-testid="history-accuracy-none"
          >
            No accuracy runs kept with this adapter yet (Open it, then Accuracy).
          </p>
        )}
        {saved &&
          [...saved].reverse().map((r) => (
            <details key={r.at} data-testid="history-accuracy-report">
              <summary className="cursor-pointer text-xs">
                {new Date(r.at).toLocaleString()} · {r.origin === 'compare' ? 'Compare · ' : ''}
                {r.set.name} · {r.rows.length}
                {r.complete ? '' : ` of ${r.set.total}`} examples
                {r.complete ? '' : r.error ? ' (stopped by an error)' : ' (cancelled)'} ·{' '}
                {r.models
                  .map(
                    (m, i) =>
                      `${m.label} ${r.summaries[i] ? percent(r.summaries[i].accuracy) : '–'}`,
                  )
                  .join(' · ')}
              </summary>
              <div className="mt-2">
                <AccuracyReportView report={r} testId="history-accuracy" />
              </div>
            </details>
          ))}
      </div>
    </details>
  );
}
