/** One card per column: what ran, how long it took, how big it is, and its downloads. */
import { useMemo } from 'react';
import { columnSettings, downloadColumn } from './compare';
import { formatBytes, formatMs } from '../shared/format';
import { shareUrl } from '../shared/share-link';
import { useCompare, type ColumnOutcome } from '../shared/compare-store';
import { STAGES } from '../worker/protocol';
import { STAGE_LABEL } from '../shared/labels';
import { Badge, Button, Spinner } from '../shared/ui';
import { CosineMatrix, NormHeatmap, StageBars } from './Charts';

function Column({ c, i }: { c: ColumnOutcome; i: number }) {
  const total = c.result ? STAGES.reduce((n, s) => n + c.result!.timings[s], 0) : 0;
  return (
    <article
      className="flex min-w-0 flex-col gap-2 rounded-xl border border-zinc-200 bg-white p-3 text-sm dark:border-zinc-800 dark:bg-zinc-900"
      data-testid={`compare-column-${i}`}
      data-status={c.status}
    >
      <header>
        <h3 className="font-semibold">{c.label}</h3>
        <p className="line-clamp-3 text-xs text-zinc-600 dark:text-zinc-300" title={c.caption}>
          {c.caption}
        </p>
        {c.blend && (
          <p className="mt-1 text-xs text-zinc-500" data-testid={`compare-column-${i}-blend`}>
            blend with “{c.blend.with}” at w = {c.blend.weight}
          </p>
        )}
      </header>
      {c.status === 'waiting' && <Badge>waiting</Badge>}
      {c.status === 'running' && (
        <span className="flex items-center gap-2 text-xs">
          <Spinner className="h-3 w-3" /> {c.stage ? STAGE_LABEL[c.stage] : 'starting'}
        </span>
      )}
      {c.status === 'error' && (
        <div
          role="alert"
          className="flex flex-col gap-1 text-xs"
          data-testid={`compare-column-${i}-error`}
        >
          {c.shown && (
            <p className="font-semibold text-red-700 dark:text-red-300">{c.shown.title}</p>
          )}
          <p className="font-mono text-red-700 [overflow-wrap:anywhere] dark:text-red-300">
            {c.error}
          </p>
          {c.shown && (
            <p className="text-zinc-700 dark:text-zinc-300">
              <strong className="font-medium">What to do: </strong>
              {c.shown.hint}
            </p>
          )}
        </div>
      )}
      {c.status === 'done' && c.result && c.adapter && (
        <>
          <dl className="grid grid-cols-[6rem_1fr] gap-x-2 gap-y-0.5 text-xs">
            <dt className="text-zinc-500">Model</dt>
            <dd data-testid={`compare-column-${i}-variant`}>
              T2L-{c.result.model.variant} · {c.result.model.precision}
            </dd>
            <dt className="text-zinc-500">Backend</dt>
            <dd data-testid={`compare-column-${i}-backend`} data-backend={c.result.backend.kind}>
              {c.result.backend.label}
            </dd>
            <dt className="text-zinc-500">Size</dt>
            <dd data-testid={`compare-column-${i}-size`}>
              {formatBytes(c.adapter.safetensors.byteLength)} safetensors ·{' '}
              {formatBytes(c.adapter.zip.byteLength)} zip
            </dd>
            <dt className="text-zinc-500">Time</dt>
            <dd data-testid={`compare-column-${i}-time`}>
              {formatMs(total)}{' '}
              <span className="text-zinc-500">
                (
                {STAGES.map((s) => `${STAGE_LABEL[s]} ${formatMs(c.result!.timings[s])}`).join(
                  ', ',
                )}
                )
              </span>
            </dd>
          </dl>
          <div className="flex flex-wrap gap-1.5">
            <Button
              variant="primary"
              className="px-2 py-1 text-xs"
              onClick={() => downloadColumn(c, 'zip')}
              data-testid={`compare-column-${i}-zip`}
            >
              ↓ .zip
            </Button>
            <Button
              className="px-2 py-1 text-xs"
              onClick={() => downloadColumn(c, 'safetensors')}
              data-testid={`compare-column-${i}-safetensors`}
            >
              .safetensors
            </Button>
            <Button
              className="px-2 py-1 text-xs"
              disabled={!c.adapter.gguf}
              title={c.adapter.gguf ? 'llama.cpp LoRA (llama-server --lora)' : c.adapter.ggufNote}
              onClick={() => downloadColumn(c, 'gguf')}
            >
              .gguf
            </Button>
            <a
              className="px-2 py-1 text-xs text-indigo-700 underline dark:text-indigo-300"
              href={shareUrl(columnSettings(c))}
              data-testid={`compare-column-${i}-link`}
            >
              link
            </a>
          </div>
        </>
      )}
    </article>
  );
}

/** The cosine matrix over the columns that made an adapter: a failed column drops out. */
function KeptCosines({
  columns,
  matrix,
}: {
  columns: ColumnOutcome[];
  matrix: (number | null)[][];
}) {
  const shown = useMemo(() => {
    const kept = columns.flatMap((c, i) => (c.analysis && matrix[i]?.[i] != null ? [i] : []));
    return {
      columns: kept.map((i) => columns[i]!),
      matrix: kept.map((i) => kept.map((j) => matrix[i]![j] ?? null)),
    };
  }, [columns, matrix]);
  if (shown.columns.length < 2) return null;
  return <CosineMatrix columns={shown.columns} matrix={shown.matrix} />;
}

export function CompareResults() {
  const columns = useCompare((s) => s.columns);
  const cosines = useCompare((s) => s.cosines);
  if (columns.length === 0) return null;
  const done = columns.filter((c) => c.status === 'done');
  return (
    <section className="flex flex-col gap-4" data-testid="compare-results" aria-label="Comparison">
      <div
        className="grid gap-3"
        style={{ gridTemplateColumns: `repeat(auto-fit, minmax(min(100%, 13rem), 1fr))` }}
      >
        {columns.map((c, i) => (
          <Column key={i} c={c} i={i} />
        ))}
      </div>
      {done.length > 0 && (
        <div className="grid gap-3 lg:grid-cols-2" data-testid="compare-charts">
          {cosines && <KeptCosines columns={columns} matrix={cosines} />}
          <StageBars columns={columns} />
        </div>
      )}
      {done.length > 0 && (
        <div
          className="grid gap-3"
          style={{ gridTemplateColumns: `repeat(auto-fit, minmax(min(100%, 16rem), 1fr))` }}
        >
          {columns.map((c, i) =>
            c.analysis ? <NormHeatmap key={i} column={c} index={i} /> : null,
          )}
        </div>
      )}
    </section>
  );
}
