/** Every adapter generated in this browser: newest first, searchable, re-downloadable, deletable. */
import { useMemo } from 'react';
import { matchesSearch, type HistoryEntry } from '../shared/storage/history-db';
import {
  deleteFromHistory,
  dismissHistoryWarning,
  downloadFromHistory,
  downloadUnsaved,
  reopenFromHistory,
  retryUnsaved,
} from './history';
import { formatBytes, formatMs } from '../shared/format';
import { shareUrl } from '../shared/share-link';
import { useHistory } from '../shared/storage/history-store';
import { STAGES } from '../worker/protocol';
import { Badge, Button, Card } from '../shared/ui';
import { HistoryOutputs } from './HistoryOutputs';
import { HistoryAccuracy } from '../accuracy/HistoryAccuracy';

function Item({ e }: { e: HistoryEntry }) {
  const total = STAGES.reduce((n, s) => n + (e.timings[s] ?? 0), 0);
  return (
    <li
      className="flex flex-col gap-1.5 py-3 sm:flex-row sm:items-start sm:justify-between"
      data-testid="history-item"
      data-id={e.id}
    >
      <div className="min-w-0">
        <p className="line-clamp-2 text-sm font-medium" data-testid="history-description">
          {e.description}
        </p>
        {e.blend && (
          <p className="text-xs text-zinc-500">
            blended with “{e.blend.with}” at w = {e.blend.weight}
          </p>
        )}
        <p className="text-xs text-zinc-500 dark:text-zinc-400">
          {e.modelName} · T2L-{e.variant} · {e.precision} · {e.backend} · {e.dtype} ·{' '}
          {formatBytes(e.sizes.safetensors)} · {formatMs(total)} ·{' '}
          <time dateTime={new Date(e.createdAt).toISOString()}>
            {new Date(e.createdAt).toLocaleString()}
          </time>
        </p>
        <HistoryOutputs e={e} />
        <HistoryAccuracy e={e} />
      </div>
      <div className="flex shrink-0 flex-wrap gap-1.5">
        <Button
          className="px-2 py-1 text-xs"
          variant="primary"
          onClick={() => void downloadFromHistory(e, 'zip')}
          data-testid="history-zip"
        >
          ↓ .zip
        </Button>
        <Button
          className="px-2 py-1 text-xs"
          onClick={() => void downloadFromHistory(e, 'safetensors')}
          data-testid="history-safetensors"
        >
          .safetensors
        </Button>
        <Button
          className="px-2 py-1 text-xs"
          onClick={() => void downloadFromHistory(e, 'gguf')}
          disabled={!e.sizes.gguf}
          title={
            e.sizes.gguf ? 'LoRA for llama.cpp (--lora) and Ollama (ADAPTER)' : e.card?.ggufNote
          }
          data-testid="history-gguf"
        >
          .gguf
        </Button>
        {e.card && (
          <Button
            className="px-2 py-1 text-xs"
            onClick={() => void reopenFromHistory(e)}
            data-testid="history-open"
            aria-label={`Open the result card of “${e.description}”`}
          >
            Open
          </Button>
        )}
        <a
          className="px-2 py-1 text-xs text-indigo-700 underline dark:text-indigo-300"
          href={shareUrl(e.settings)}
          title="A link that opens the app with these settings"
          data-testid="history-link"
        >
          link
        </a>
        <Button
          className="px-2 py-1 text-xs"
          variant="danger"
          onClick={() => void deleteFromHistory([e.id])}
          aria-label={`Delete “${e.description}”`}
          data-testid="history-delete"
        >
          Delete
        </Button>
      </div>
    </li>
  );
}

export function HistoryView() {
  const h = useHistory();
  const shown = useMemo(
    () => h.entries.filter((e) => matchesSearch(e, h.query)),
    [h.entries, h.query],
  );
  return (
    <Card
      title="History"
      aside={
        h.usage && (
          <span className="text-xs text-zinc-500" data-testid="history-usage">
            {formatBytes(h.usage.usage)} of {formatBytes(h.usage.quota)} used in this browser
          </span>
        )
      }
      data-testid="history-view"
    >
      <div className="flex flex-col gap-3">
        {h.warning && (
          <div
            role="alert"
            className="rounded-lg border border-red-300 bg-red-50 p-3 text-sm text-red-800 dark:border-red-900 dark:bg-red-950 dark:text-red-200"
            data-testid="history-warning"
          >
            <p>{h.warning}</p>
            <div className="mt-2 flex gap-2">
              {h.unsaved.length > 0 && (
                <Button className="px-2 py-1 text-xs" onClick={() => void retryUnsaved()}>
                  Try saving again
                </Button>
              )}
              <Button className="px-2 py-1 text-xs" variant="ghost" onClick={dismissHistoryWarning}>
                Dismiss
              </Button>
            </div>
          </div>
        )}
        {h.unsaved.length > 0 && (
          <ul className="flex flex-col gap-2" data-testid="history-unsaved">
            {h.unsaved.map((u) => (
              <li
                key={u.key}
                className="flex flex-wrap items-center justify-between gap-2 rounded-lg border border-amber-300 bg-amber-50 p-2 text-sm dark:border-amber-900 dark:bg-amber-950"
                data-testid="history-unsaved-item"
              >
                <span className="min-w-0">
                  <Badge tone="amber">not saved</Badge> {u.entry.description}
                </span>
                <span className="flex gap-1.5">
                  <Button
                    className="px-2 py-1 text-xs"
                    variant="primary"
                    onClick={() => downloadUnsaved(u.key, 'zip')}
                    data-testid="history-unsaved-zip"
                  >
                    ↓ .zip
                  </Button>
                  <Button
                    className="px-2 py-1 text-xs"
                    onClick={() => downloadUnsaved(u.key, 'safetensors')}
                  >
                    .safetensors
                  </Button>
                </span>
              </li>
            ))}
          </ul>
        )}
        <input
          type="search"
          placeholder="Search descriptions, models, settings"
          value={h.query}
          onChange={(e) => useHistory.setState({ query: e.target.value })}
          className="w-full rounded-lg border border-zinc-300 bg-white px-3 py-2 text-sm dark:border-zinc-700 dark:bg-zinc-950"
          aria-label="Search the history"
          data-testid="history-search"
        />
        {h.status === 'loading' && <p className="text-sm text-zinc-500">Reading the history…</p>}
        {h.status !== 'loading' && h.entries.length === 0 && (
          <p className="text-sm text-zinc-500" data-testid="history-empty">
            Adapters you generate are kept here, in this browser only.
          </p>
        )}
        {h.entries.length > 0 && (
          <div className="flex justify-end">
            <Button
              variant="danger"
              className="px-2 py-1 text-xs"
              onClick={() => void deleteFromHistory()}
              data-testid="history-clear"
            >
              Clear all ({h.entries.length})
            </Button>
          </div>
        )}
        {h.entries.length > 0 && shown.length === 0 && (
          <p className="text-sm text-zinc-500">Nothing matches “{h.query}”.</p>
        )}
        <ul className="divide-y divide-zinc-100 dark:divide-zinc-800" data-testid="history-list">
          {shown.map((e) => (
            <Item key={e.id} e={e} />
          ))}
        </ul>
      </div>
    </Card>
  );
}
