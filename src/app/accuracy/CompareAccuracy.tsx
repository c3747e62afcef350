/** Compare's Accuracy row: the base and every finished column scored on the same examples. */
import {
  accuracyPanel,
  COMPARE_PANEL,
  compareAccuracyProblem,
  runCompareAccuracy,
  setAccuracyFilter,
} from './accuracy';
import { useAccuracy } from './accuracy-store';
import { useCompare } from '../shared/compare-store';
import { Card } from '../shared/ui';
import { AccuracyChart } from './AccuracyChart';
import { AccuracyForm } from './AccuracyForm';
import { AccuracyProgress } from './AccuracyProgress';
import { AccuracyRows, AccuracySummary } from './AccuracyResults';

export function CompareAccuracy() {
  const columns = useCompare((s) => s.columns);
  const running = useCompare((s) => s.running);
  useAccuracy((s) => s.panels[COMPARE_PANEL]);
  if (!columns.some((c) => c.status === 'done')) return null;
  const p = accuracyPanel(COMPARE_PANEL);
  const problem = running ? 'Wait for every column to finish.' : compareAccuracyProblem();
  return (
    <Card title="Accuracy" data-testid="compare-accuracy-card">
      <div className="flex flex-col gap-4">
        <p className="text-xs text-zinc-600 dark:text-zinc-300">
          One run of the same examples: the base model and each column’s adapter, greedy, with the
          T2L reference’s prompts and answer matching. The base is loaded once, with every adapter.
        </p>
        <AccuracyForm
          panelKey={COMPARE_PANEL}
          testId="compare-accuracy"
          withControl={false}
          onRun={() => void runCompareAccuracy()}
          disabledReason={problem}
        />
        <AccuracyProgress panelKey={COMPARE_PANEL} testId="compare-accuracy" />
        {p.report && p.report.rows.length > 0 && (
          <>
            <AccuracyChart report={p.report} />
            <AccuracySummary report={p.report} testId="compare-accuracy" />
            <AccuracyRows
              report={p.report}
              testId="compare-accuracy"
              filter={p.filter}
              onFilter={(f) => setAccuracyFilter(COMPARE_PANEL, f)}
            />
          </>
        )}
        {p.savedTo !== null && (
          <p
            className="text-xs text-zinc-600 dark:text-zinc-300"
            data-testid="compare-accuracy-saved"
          >
            Kept in History with each column’s adapter.
          </p>
        )}
        {p.saveNote && (
          <p
            className="text-xs text-amber-800 dark:text-amber-300"
            data-testid="compare-accuracy-save-note"
          >
            {p.saveNote}
          </p>
        )}
      </div>
    </Card>
  );
}
