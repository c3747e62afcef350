/**
 * One prompt answered by the base model and by adapters, side by side: the prompt form, Run and
 * Stop, and one cell per answer as it streams in. Used by Compare's Outputs row and by History's
 * Try; the caller says what Run does.
 */
import { editOutputs, stopOutputs } from '../shared/outputs/outputs';
import { formatBytes, formatMs } from '../shared/format';
import { emptyPanel, useOutputs, type OutputCell } from '../shared/outputs/outputs-store';
import { Badge, Button, ProgressBar, Spinner } from '../shared/ui';

function Cell({ c, testId }: { c: OutputCell; testId: string }) {
  return (
    <article
      className="flex min-w-0 flex-col gap-1.5 rounded-lg border border-zinc-200 p-2.5 text-sm dark:border-zinc-800"
      data-testid={testId}
      data-status={c.status}
      aria-busy={c.status === 'running'}
    >
      <header className="flex items-center justify-between gap-2">
        <h4 className="truncate text-xs font-semibold" title={c.label}>
          {c.label}
        </h4>
        {c.status === 'running' && <Spinner className="h-3 w-3" />}
        {c.status === 'stopped' && <Badge tone="amber">stopped</Badge>}
        {c.status === 'skipped' && <Badge>not run</Badge>}
      </header>
      {c.status === 'error' ? (
        <p role="alert" className="text-xs text-red-700 dark:text-red-300">
          {c.error}
        </p>
      ) : (
        <p
          className="min-h-10 font-mono text-xs break-words whitespace-pre-wrap"
          data-testid={`${testId}-text`}
        >
          {c.text || (c.status === 'waiting' ? '…' : '')}
        </p>
      )}
      {c.ttftMs !== undefined && (
        <p className="text-xs text-zinc-500" data-testid={`${testId}-speed`}>
          {c.tokens} tokens · first after {formatMs(c.ttftMs)} ·{' '}
          {Number.isFinite(c.tokensPerSecond) ? `${c.tokensPerSecond!.toFixed(1)} tokens/s` : '–'}
        </p>
      )}
    </article>
  );
}

export function OutputsPanel({
  panelKey,
  testId,
  onRun,
  runLabel = 'Run',
  disabledReason,
}: {
  panelKey: string;
  testId: string;
  onRun: () => void;
  runLabel?: string;
  /** Why Run is not possible (shown instead of the button's action), or null. */
  disabledReason?: string | null;
}) {
  const p = useOutputs((s) => s.panels[panelKey]) ?? emptyPanel();
  return (
    <div className="flex flex-col gap-3" data-testid={testId} data-base-loads={p.baseLoads ?? ''}>
      <div className="grid gap-2 sm:grid-cols-[1fr_14rem]">
        <label className="flex flex-col gap-1 text-xs font-medium">
          Prompt
          <textarea
            rows={2}
            value={p.prompt}
            onChange={(e) => editOutputs(panelKey, { prompt: e.target.value })}
            className="rounded-lg border border-zinc-300 bg-white px-2 py-1.5 text-sm font-normal dark:border-zinc-700 dark:bg-zinc-950"
            data-testid={`${testId}-prompt`}
          />
        </label>
        <div className="flex flex-col gap-2">
          <label className="flex flex-col gap-1 text-xs font-medium">
            System prompt (optional)
            <input
              value={p.system}
              onChange={(e) => editOutputs(panelKey, { system: e.target.value })}
              className="rounded-lg border border-zinc-300 bg-white px-2 py-1.5 text-sm font-normal dark:border-zinc-700 dark:bg-zinc-950"
              data-testid={`${testId}-system`}
            />
          </label>
          <label className="flex items-center justify-between gap-2 text-xs font-medium">
            Max tokens
            <input
              type="number"
              min={1}
              max={512}
              value={p.maxTokens}
              onChange={(e) =>
                editOutputs(panelKey, {
                  maxTokens: Math.min(512, Math.max(1, Math.round(Number(e.target.value) || 1))),
                })
              }
              className="w-20 rounded-lg border border-zinc-300 bg-white px-2 py-1 text-sm font-normal dark:border-zinc-700 dark:bg-zinc-950"
              data-testid={`${testId}-max-tokens`}
            />
          </label>
        </div>
      </div>
      <div className="flex flex-wrap items-center gap-2">
        {p.running ? (
          <Button
            variant="danger"
            onClick={() => stopOutputs(panelKey)}
            data-testid={`${testId}-stop`}
          >
            Stop
          </Button>
        ) : (
          <Button
            variant="primary"
            onClick={onRun}
            disabled={Boolean(disabledReason) || !p.prompt.trim()}
            title={disabledReason ?? undefined}
            data-testid={`${testId}-run`}
          >
            {runLabel}
          </Button>
        )}
        <span className="text-xs text-zinc-500" data-testid={`${testId}-status`}>
          {p.stage ??
            (p.baseName
              ? `${p.baseName} · ${p.backend} · greedy`
              : (disabledReason ?? 'Greedy decoding: the same prompt gives the same text.'))}
        </span>
      </div>
      {p.download && (
        <ProgressBar
          value={p.download.total ? p.download.loaded / p.download.total : null}
          label={`Base model: ${formatBytes(p.download.loaded)}${p.download.total ? ` of ${formatBytes(p.download.total)}` : ''}`}
        />
      )}
      {p.error && (
        <p
          role="alert"
          className="text-sm text-red-700 dark:text-red-300"
          data-testid={`${testId}-error`}
        >
          {p.error}
        </p>
      )}
      {p.cells.length > 0 && (
        <div
          className="grid gap-2"
          style={{ gridTemplateColumns: 'repeat(auto-fit, minmax(min(100%, 13rem), 1fr))' }}
        >
          {p.cells.map((c, i) => (
            <Cell key={i} c={c} testId={i === 0 ? `${testId}-base` : `${testId}-${i - 1}`} />
          ))}
        </div>
      )}
    </div>
  );
}
