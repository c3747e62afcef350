/** Compare's Outputs row: one prompt answered by the base model and by every column's adapter. */
import { compareOutputsProblem, runCompareOutputs } from '../shared/outputs/outputs';
import { useCompare } from '../shared/compare-store';
import { OutputsPanel } from '../try/OutputsPanel';
import { Card } from '../shared/ui';

export function CompareOutputs() {
  const columns = useCompare((s) => s.columns);
  const running = useCompare((s) => s.running);
  if (!columns.some((c) => c.status === 'done')) return null;
  const problem = running ? 'Wait for every column to finish.' : compareOutputsProblem(columns);
  return (
    <Card title="Outputs" data-testid="compare-outputs-card">
      <p className="mb-3 text-xs text-zinc-500">
        The same prompt answered by the base model and by each column’s adapter, side by side. The
        base model is loaded once, with every adapter; switching adapters only changes their scales.
      </p>
      <OutputsPanel
        panelKey="compare"
        testId="compare-outputs"
        onRun={() => void runCompareOutputs()}
        disabledReason={problem}
      />
    </Card>
  );
}
