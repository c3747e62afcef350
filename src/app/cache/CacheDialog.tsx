import { useState } from 'react';
import { useCache } from '../shared/cache-store';
import { useUi } from '../shared/ui-store';
import { clearAll, clearGroup, refreshCache } from '../shared/cache-service';
import { formatBytes } from '../shared/format';
import { Button, ProgressBar } from '../shared/ui';
import { Dialog } from '../shared/Dialog';

export function CacheDialog() {
  const open = useUi((s) => s.dialog === 'cache');
  const { entries, usage, quota, persisted } = useCache();
  const [busy, setBusy] = useState(false);
  const groups = new Map<string, typeof entries>();
  for (const e of entries) groups.set(e.group, [...(groups.get(e.group) ?? []), e]);
  const total = entries.reduce((n, e) => n + e.size, 0);
  const run = (fn: () => Promise<void>) => {
    setBusy(true);
    void fn().finally(() => setBusy(false));
  };
  return (
    <Dialog open={open} title="Cached in this browser">
      <div className="flex flex-col gap-4" data-testid="cache-view">
        <p className="text-sm text-zinc-600 dark:text-zinc-300">
          Downloaded and converted files are kept here so the next visit starts in seconds, and so
          the demo works offline. Each file is checked (size and SHA-256) before use; a damaged one
          is downloaded again.
        </p>
        {quota !== null && (
          <div className="flex flex-col gap-1">
            <ProgressBar value={(usage ?? 0) / quota} label="Storage used" />
            <p className="text-xs text-zinc-500 dark:text-zinc-400">
              {formatBytes(usage ?? 0)} of {formatBytes(quota)} this site may use
              {persisted
                ? ' · protected from automatic eviction'
                : persisted === false
                  ? ' · the browser may evict it under storage pressure'
                  : ''}
            </p>
          </div>
        )}
        {entries.length === 0 ? (
          <p
            className="rounded-lg border border-dashed border-zinc-300 p-6 text-center text-sm text-zinc-500 dark:border-zinc-700 dark:text-zinc-400"
            data-testid="cache-empty"
          >
            Nothing cached yet. Files appear here after the first generation.
          </p>
        ) : (
          <ul className="flex flex-col gap-3">
            {[...groups].map(([group, files]) => (
              <li
                key={group}
                className="rounded-lg border border-zinc-200 dark:border-zinc-800"
                data-testid="cache-group"
              >
                <div className="flex items-center justify-between gap-2 border-b border-zinc-100 px-3 py-2 dark:border-zinc-800">
                  <span className="text-sm font-medium">{group || 'Other files'}</span>
                  <span className="flex items-center gap-2">
                    <span className="text-xs text-zinc-500 tabular-nums">
                      {formatBytes(files.reduce((n, f) => n + f.size, 0))}
                    </span>
                    <Button
                      variant="ghost"
                      className="px-2 py-1 text-xs"
                      disabled={busy}
                      onClick={() => run(() => clearGroup(group))}
                    >
                      Remove
                    </Button>
                  </span>
                </div>
                <ul className="px-3 py-1.5">
                  {files.map((f) => (
                    <li
                      key={f.url}
                      className="flex items-center gap-2 py-0.5 text-xs"
                      data-testid="cache-file"
                      title={f.url}
                    >
                      <span className="min-w-0 flex-1 truncate font-mono text-zinc-700 dark:text-zinc-300">
                        {f.name}
                      </span>
                      <span
                        className="font-mono text-zinc-500 dark:text-zinc-400"
                        title={`SHA-256 ${f.sha256}`}
                      >
                        {f.sha256.slice(0, 8)}
                      </span>
                      <span className="w-16 text-right text-zinc-500 tabular-nums">
                        {formatBytes(f.size)}
                      </span>
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ul>
        )}
        <div className="flex items-center justify-between gap-2">
          <Button
            variant="ghost"
            onClick={() => run(() => refreshCache({ sweep: true }))}
            disabled={busy}
          >
            Refresh
          </Button>
          <Button
            variant="danger"
            onClick={() => run(clearAll)}
            disabled={busy || entries.length === 0}
            data-testid="cache-clear"
          >
            Clear all ({formatBytes(total)})
          </Button>
        </div>
      </div>
    </Dialog>
  );
}
