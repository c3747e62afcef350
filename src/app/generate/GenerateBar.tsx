import { useRun } from '../shared/run-store';
import { cancel, generate } from './generation';
import { STAGE_LABEL } from '../shared/labels';
import { Button, Spinner } from '../shared/ui';

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

/**
 * Below the button on narrow screens, where the progress panel is far down the page: the stage,
 * what it is doing, and a link to the details.
 */
export function RunStatusLine() {
  const running = useRun((s) => s.status === 'running');
  const stage = useRun((s) => s.stage);
  const detail = useRun((s) => s.stageDetail);
  const file = useRun((s) => s.files.find((f) => f.state === 'downloading'));
  if (!running) return null;
  const pct = file?.total
    ? ` · ${Math.floor((100 * file.loaded) / file.total)}% of ${file.name}`
    : '';
  return (
    <p
      className="mt-3 flex min-w-0 items-center gap-2 text-sm text-zinc-700 lg:hidden dark:text-zinc-200"
      data-testid="run-status-line"
      role="status"
    >
      <Spinner className="h-3 w-3 shrink-0" />
      <span className="min-w-0 truncate">
        {stage ? `${STAGE_LABEL[stage]}: ` : ''}
        {detail}
        {pct}
      </span>
      <a href="#progress" className="shrink-0 text-indigo-700 underline dark:text-indigo-300">
        details
      </a>
    </p>
  );
}
