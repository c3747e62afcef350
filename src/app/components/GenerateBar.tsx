import { useRun } from '../stores/run';
import { cancel, generate } from '../services/generation';
import { Button, Spinner } from './ui';

export function GenerateBar() {
  const running = useRun((s) => s.status === 'running');
  return (
    <div className="flex w-full items-center gap-2 sm:w-auto">
      {running && (
        <Button variant="danger" onClick={cancel}>
          Cancel
        </Button>
      )}
      <Button
        variant="primary"
        className="flex-1 py-2.5 text-base sm:flex-none sm:px-6"
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
    </div>
  );
}
