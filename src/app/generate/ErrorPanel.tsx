import { useRun } from '../shared/run-store';
import { generate } from './generation';
import { Button } from '../shared/ui';

export function ErrorPanel() {
  const error = useRun((s) => s.error);
  if (!error) return null;
  return (
    <div
      role="alert"
      className="flex flex-col gap-3 rounded-lg focus-visible:outline-2 focus-visible:outline-offset-4 focus-visible:outline-indigo-500"
      data-testid="error"
      data-code={error.code}
      tabIndex={-1}
    >
      <h2 className="flex items-center gap-2 text-base font-semibold text-red-700 dark:text-red-400">
        <span
          className="grid h-5 w-5 place-items-center rounded-full bg-red-600 text-xs text-white"
          aria-hidden="true"
        >
          !
        </span>
        {error.title}
      </h2>
      <pre
        className="max-h-48 overflow-auto rounded-lg bg-red-50 p-3 font-mono text-xs whitespace-pre-wrap text-red-900 [overflow-wrap:anywhere] dark:bg-red-950/50 dark:text-red-200"
        data-testid="error-message"
      >
        {error.message}
      </pre>
      <p className="text-sm text-zinc-700 dark:text-zinc-300" data-testid="error-hint">
        <strong className="font-medium">What to do: </strong>
        {error.hint}
      </p>
      {error.retry && (
        <div>
          <Button onClick={() => void generate()}>Try again</Button>
        </div>
      )}
    </div>
  );
}
