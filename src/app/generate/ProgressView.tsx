import { useEffect, useState } from 'react';
import { useRun, type FileProgress } from '../shared/run-store';
import { formatBytes, formatMs, formatSpeed } from '../shared/format';
import { STAGES, type Stage } from '../worker/protocol';
import { STAGE_LABEL } from '../shared/labels';
import { Badge, ProgressBar, Spinner, cx } from '../shared/ui';

function Elapsed({ since }: { since: number }) {
  const [now, setNow] = useState(() => performance.now());
  useEffect(() => {
    const t = setInterval(() => setNow(performance.now()), 250);
    return () => clearInterval(t);
  }, []);
  return <span className="tabular-nums">{formatMs(Math.max(0, now - since))}</span>;
}

function FileRow({ file }: { file: FileProgress }) {
  const fraction = file.total ? file.loaded / file.total : null;
  const state = {
    downloading: (
      <Badge tone="indigo">{file.loaded === 0 ? 'waiting for server' : 'downloading'}</Badge>
    ),
    retrying: <Badge tone="amber">reconnecting</Badge>,
    cached: <Badge tone="green">from cache</Badge>,
    done: <Badge>downloaded</Badge>,
    corrupt: <Badge tone="red">cache damaged · refetching</Badge>,
    missing: <Badge>not on the server</Badge>,
  }[file.state];
  return (
    <li
      className="flex flex-col gap-1"
      data-testid="file-progress"
      data-state={file.state}
      data-name={file.name}
    >
      <div className="flex items-center gap-2 text-xs">
        <span
          className="min-w-0 flex-1 truncate font-mono text-zinc-700 dark:text-zinc-300"
          title={file.url}
        >
          {file.name}
        </span>
        <span className="text-zinc-500 tabular-nums dark:text-zinc-400">
          {formatBytes(file.loaded)}
          {file.total ? ` / ${formatBytes(file.total)}` : ''}
          {file.state === 'downloading' && file.bytesPerSecond > 0
            ? ` · ${formatSpeed(file.bytesPerSecond)}`
            : ''}
        </span>
        {state}
      </div>
      <ProgressBar
        value={file.state === 'cached' || file.state === 'done' ? 1 : fraction}
        label={`Download of ${file.name}`}
      />
      {file.note && <p className="text-[11px] text-amber-700 dark:text-amber-400">{file.note}</p>}
    </li>
  );
}

export function Stepper({ current }: { current: Stage | null }) {
  const index = current ? STAGES.indexOf(current) : -1;
  return (
    <ol className="flex flex-wrap items-center gap-1.5 text-xs" aria-label="Stages">
      {STAGES.map((s, i) => (
        <li
          key={s}
          className="flex items-center gap-1.5"
          aria-current={i === index ? 'step' : undefined}
        >
          <span
            className={cx(
              'flex items-center gap-1.5 rounded-full px-2 py-0.5',
              i < index && 'text-emerald-700 dark:text-emerald-400',
              i === index &&
                'bg-indigo-100 font-medium text-indigo-800 dark:bg-indigo-950 dark:text-indigo-200',
              i > index && 'text-zinc-500 dark:text-zinc-400',
            )}
          >
            {i < index ? '✓' : i === index ? <Spinner className="h-3 w-3" /> : '○'} {STAGE_LABEL[s]}
          </span>
          {i < STAGES.length - 1 && (
            <span className="h-px w-3 bg-zinc-300 dark:bg-zinc-700" aria-hidden="true" />
          )}
        </li>
      ))}
    </ol>
  );
}

export function ProgressView() {
  const { stage, stageDetail, files, startedAt } = useRun();
  return (
    <div className="flex scroll-mt-4 flex-col gap-4" data-testid="progress" id="progress">
      <div className="flex items-center justify-between gap-2">
        <h2 className="text-sm font-semibold">Generating</h2>
        <span className="text-xs text-zinc-500 dark:text-zinc-400">
          <Elapsed since={startedAt} />
        </span>
      </div>
      <Stepper current={stage} />
      <p
        className="text-sm text-zinc-600 dark:text-zinc-300"
        aria-live="polite"
        data-testid="stage-detail"
      >
        {stageDetail}…
      </p>
      {files.length > 0 && (
        <ul className="flex flex-col gap-3" aria-label="Files">
          {files.map((f) => (
            <FileRow key={f.url} file={f} />
          ))}
        </ul>
      )}
    </div>
  );
}
