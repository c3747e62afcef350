import { useRun } from '../stores/run';
import { cancel, generate } from '../services/generation';
import { shortcutLabel } from '../services/shortcut';
import { Button, Kbd, Spinner } from './ui';

export function GenerateBar() {
  const running = useRun((s) => s.status === 'running');
  return (
    <div className="flex items-center gap-3">
      <Button
        variant="primary"
        className="flex-1 py-2.5 text-base sm:flex-none sm:px-8"
        onClick={() => void generate()}
        disabled={running}
        aria-keyshortcuts="Control+Enter Meta+Enter"
      >
        {running ? (
          <>
            <Spinner /> Generating…
          </>
        ) : (
          'Generate adapter'
        )}
      </Button>
      {running ? (
        <Button variant="danger" onClick={cancel}>
          Cancel
        </Button>
      ) : (
        <span className="hidden text-xs text-zinc-500 sm:inline dark:text-zinc-400">
          <Kbd>{shortcutLabel()}</Kbd> + <Kbd>Enter</Kbd>
        </span>
      )}
    </div>
  );
}
