import { EXAMPLES } from './examples';

/** The example descriptions as chips; `onPick` receives the full text. */
export function ExampleChips({
  onPick,
  testId,
}: {
  onPick: (text: string) => void;
  testId?: string;
}) {
  return (
    <div className="flex flex-wrap items-center gap-1.5" data-testid={testId}>
      <span className="mr-1 text-xs font-medium text-zinc-600 dark:text-zinc-400">Try:</span>
      {EXAMPLES.map((ex) => (
        <button
          key={ex.label}
          type="button"
          onClick={() => onPick(ex.text)}
          title={ex.text}
          className="rounded-full border border-zinc-200 bg-zinc-50 px-2.5 py-1 text-xs text-zinc-700 transition-colors hover:border-indigo-300 hover:bg-indigo-50 hover:text-indigo-800 focus-visible:outline-2 focus-visible:outline-indigo-500 dark:border-zinc-700 dark:bg-zinc-800 dark:text-zinc-300 dark:hover:border-indigo-700 dark:hover:bg-indigo-950 dark:hover:text-indigo-200"
        >
          {ex.label}
        </button>
      ))}
    </div>
  );
}
