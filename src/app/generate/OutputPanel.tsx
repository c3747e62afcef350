import { useEffect, useRef } from 'react';
import { useRun } from '../shared/run-store';
import { ErrorPanel } from './ErrorPanel';
import { ProgressView } from './ProgressView';
import { ResultCard } from './ResultCard';
import { Card } from '../shared/ui';

function EmptyState() {
  return (
    <div className="flex flex-col items-center gap-3 py-8 text-center" data-testid="empty">
      <div
        className="grid h-12 w-12 place-items-center rounded-2xl bg-indigo-50 text-xl text-indigo-600 dark:bg-indigo-950 dark:text-indigo-300"
        aria-hidden="true"
      >
        ✦
      </div>
      <h2 className="text-sm font-semibold">Your adapter appears here</h2>
      <ol className="max-w-xs space-y-1 text-left text-sm text-zinc-500 dark:text-zinc-400">
        <li>1. Describe the task, or pick an example.</li>
        <li>2. Choose the hypernetwork for your base model.</li>
        <li>3. Generate, then download a PEFT adapter for transformers, vLLM and friends.</li>
      </ol>
      <p className="text-xs text-zinc-500 dark:text-zinc-400">
        Everything runs in this browser; nothing you type is uploaded.
      </p>
    </div>
  );
}

export function OutputPanel() {
  const status = useRun((s) => s.status);
  const hasResult = useRun((s) => s.result !== null);
  const ref = useRef<HTMLDivElement>(null);
  // On narrow screens the panel sits below the form: bring the outcome into view.
  useEffect(() => {
    const el = ref.current;
    if (!el || (status !== 'done' && status !== 'error')) return;
    if (el.getBoundingClientRect().top > window.innerHeight) {
      el.scrollIntoView({ behavior: 'smooth', block: 'start' });
    }
    // Keyboard users land on the outcome: the downloads are the next tab stops, not ~16 away.
    el.querySelector<HTMLElement>('[data-testid="result"], [data-testid="error"]')?.focus({
      preventScroll: true,
    });
  }, [status]);
  return (
    <div ref={ref} className="scroll-mt-4">
      <Card aria-live="polite">
        {status === 'running' && <ProgressView />}
        {status === 'error' && <ErrorPanel />}
        {status === 'cancelled' && (
          <p
            className="mb-4 rounded-lg bg-zinc-100 px-3 py-2 text-sm text-zinc-700 dark:bg-zinc-800 dark:text-zinc-200"
            data-testid="cancelled"
          >
            Cancelled. Nothing partial was kept; generate again whenever you like.
          </p>
        )}
        {(status === 'done' || (status === 'cancelled' && hasResult)) && <ResultCard />}
        {(status === 'idle' || (status === 'cancelled' && !hasResult)) && <EmptyState />}
      </Card>
    </div>
  );
}
