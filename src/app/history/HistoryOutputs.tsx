/**
 * A History entry's LLM outputs: the answers kept with it (from Compare's Outputs row or an earlier
 * Try), and Try: a new prompt answered by the base model and by this entry's adapter, whose GGUF
 * goes from the history straight to the LLM worker.
 */
import type { HistoryEntry, SavedOutput } from '../shared/storage/history-db';
import { historyPanelKey, loadSavedOutputs, runHistoryOutputs } from '../shared/outputs/outputs';
import { useOutputs } from '../shared/outputs/outputs-store';
import { OutputsPanel } from '../try/OutputsPanel';

function Saved({ o }: { o: SavedOutput }) {
  return (
    <li className="flex flex-col gap-1 py-2" data-testid="history-output">
      <p className="text-xs">
        <span className="font-medium" data-testid="history-output-prompt">
          {o.prompt}
        </span>{' '}
        <span className="text-zinc-500">
          · {o.baseName} · {o.sampling} · {new Date(o.at).toLocaleString()}
          {o.stopped ? ' · stopped' : ''}
        </span>
      </p>
      <div className="grid gap-2 sm:grid-cols-2">
        <div>
          <p className="text-xs text-zinc-500">Base model</p>
          <p
            className="font-mono text-xs break-words whitespace-pre-wrap"
            data-testid="history-output-base"
          >
            {o.base ?? '(not run)'}
          </p>
        </div>
        <div>
          <p className="text-xs text-zinc-500">With this adapter (scale {o.scale})</p>
          <p
            className="font-mono text-xs break-words whitespace-pre-wrap"
            data-testid="history-output-adapter"
          >
            {o.adapter}
          </p>
        </div>
      </div>
    </li>
  );
}

export function HistoryOutputs({ e }: { e: HistoryEntry }) {
  const key = historyPanelKey(e.id);
  const saved = useOutputs((s) => s.panels[key]?.saved ?? null);
  return (
    <details
      className="text-sm"
      data-testid="history-outputs"
      onToggle={(ev) => {
        if ((ev.currentTarget as HTMLDetailsElement).open) void loadSavedOutputs(e.id);
      }}
    >
      <summary className="cursor-pointer text-xs text-indigo-700 dark:text-indigo-300">
        Outputs and Try
      </summary>
      <div className="mt-2 flex flex-col gap-3">
        {saved && saved.length === 0 && (
          <p className="text-xs text-zinc-500" data-testid="history-outputs-none">
            No outputs kept with this adapter yet.
          </p>
        )}
        {saved && saved.length > 0 && (
          <ul className="divide-y divide-zinc-100 dark:divide-zinc-800">
            {[...saved].reverse().map((o) => (
              <Saved key={o.at} o={o} />
            ))}
          </ul>
        )}
        <OutputsPanel
          panelKey={key}
          testId="history-try"
          runLabel="Try"
          onRun={() => void runHistoryOutputs(e)}
        />
      </div>
    </details>
  );
}
