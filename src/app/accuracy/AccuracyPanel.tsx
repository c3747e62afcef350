/** Generate view, after a result: does the adapter help? Base, adapter and control scored. */
import { useEffect } from 'react';
import {
  accuracyPanel,
  RESULT_PANEL,
  runResultAccuracy,
  setAccuracyFilter,
  showReportOfResult,
} from './accuracy';
import { useAccuracy } from './accuracy-store';
import { useRun } from '../shared/run-store';
import type { BaseChoice } from '../shared/llm/base-models';
import { Card } from '../shared/ui';
import { AccuracyForm } from './AccuracyForm';
import { AccuracyProgress } from './AccuracyProgress';
import { AccuracyRows, AccuracySummary } from './AccuracyResults';

/** `selectedBase`: the base Try has chosen (the page passes try's selectedBase). */
export function AccuracyPanel({ selectedBase }: { selectedBase: () => BaseChoice | null }) {
  const resultId = useRun((s) => (s.status === 'done' ? (s.result?.id ?? null) : null));
  const open = useAccuracy((s) => s.open);
  useAccuracy((s) => s.panels[RESULT_PANEL]);
  useEffect(() => {
    if (resultId !== null) void showReportOfResult(resultId);
  }, [resultId]);
  if (resultId === null) return null;
  const p = accuracyPanel(RESULT_PANEL);
  return (
    // A labelled region: content outside landmarks fails axe's `region` rule.
    <section aria-label="Accuracy" className="mx-auto max-w-6xl px-4 pb-6 sm:px-6">
      <Card
        title="Accuracy"
        data-testid="accuracy-panel"
        aside={
          <button
            type="button"
            className="text-sm font-medium text-indigo-700 hover:underline dark:text-indigo-300"
            aria-expanded={open}
            data-testid="accuracy-toggle"
            onClick={() => useAccuracy.setState({ open: !open })}
          >
            {open ? 'Hide' : 'Open Accuracy'}
          </button>
        }
      >
        {open ? (
          <div className="flex flex-col gap-4">
            <p className="text-xs text-zinc-600 dark:text-zinc-300">
              The base model (adapter at scale 0), this adapter and a control adapter answer the
              same examples with the base model chosen in Try, greedy, with the T2L reference’s
              prompts and answer matching (the same code as <code>t2l eval</code>).
            </p>
            <AccuracyForm
              panelKey={RESULT_PANEL}
              testId="accuracy"
              withControl
              onRun={() => void runResultAccuracy(selectedBase())}
            />
            <AccuracyProgress panelKey={RESULT_PANEL} testId="accuracy" />
            {p.report && p.report.rows.length > 0 && (
              <>
                <AccuracySummary report={p.report} testId="accuracy" />
                <AccuracyRows
                  report={p.report}
                  testId="accuracy"
                  filter={p.filter}
                  onFilter={(f) => setAccuracyFilter(RESULT_PANEL, f)}
                />
              </>
            )}
            {p.savedTo !== null && (
              <p className="text-xs text-zinc-600 dark:text-zinc-300" data-testid="accuracy-saved">
                Kept with this adapter in History.
              </p>
            )}
            {p.saveNote && (
              <p
                className="text-xs text-amber-800 dark:text-amber-300"
                data-testid="accuracy-save-note"
              >
                {p.saveNote}
              </p>
            )}
          </div>
        ) : (
          <p className="text-sm text-zinc-600 dark:text-zinc-300">
            Does the adapter help? Score the base model, this adapter and a control on your own
            examples or a benchmark sample.
          </p>
        )}
      </Card>
    </section>
  );
}
