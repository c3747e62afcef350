import { useRun } from '../shared/run-store';
import { useTry } from './try-store';
import { Card } from '../shared/ui';
import { TryBasePicker } from './TryBasePicker';
import { TryOutput } from './TryOutput';
import { TryPromptForm } from './TryPromptForm';

/** Generate view, after a result: run the adapter on its base model in the page. */
export function TryPanel() {
  const hasResult = useRun((s) => s.status === 'done' && s.result !== null);
  const open = useTry((s) => s.open);
  if (!hasResult) return null;
  return (
    <Card
      title="Try it"
      data-testid="try-panel"
      aside={
        <button
          type="button"
          className="text-sm font-medium text-indigo-600 hover:underline dark:text-indigo-300"
          aria-expanded={open}
          data-testid="try-toggle"
          onClick={() => useTry.setState({ open: !open })}
        >
          {open ? 'Hide' : 'Open Try'}
        </button>
      }
    >
      {open ? (
        <div className="flex min-w-0 flex-col gap-4">
          <TryBasePicker />
          <TryPromptForm />
          <TryOutput />
        </div>
      ) : (
        <p className="text-sm text-zinc-600 dark:text-zinc-300">
          Ask the base model something with this adapter applied, right here: llama.cpp runs in this
          browser, and the adapter goes straight in.
        </p>
      )}
    </Card>
  );
}
