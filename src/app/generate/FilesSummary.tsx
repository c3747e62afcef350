import type { RunResult } from '../shared/run-store';
import { formatBytes } from '../shared/format';
import type { FileOutcome } from '../worker/protocol';

/** What happened to the files a generation needed: from cache, downloaded, refetched. */
export function FilesSummary({ result }: { result: RunResult }) {
  if (result.files.length === 0) return <>all already in memory</>;
  const of = (o: FileOutcome['outcome']) => result.files.filter((f) => f.outcome === o);
  const parts = [
    ['cached', of('cached'), 'from cache'],
    ['downloaded', of('downloaded'), 'downloaded'],
    ['refetched', of('refetched'), 'damaged in the cache, downloaded again'],
  ] as const;
  return (
    <ul className="flex flex-col gap-0.5">
      {parts
        .filter(([, files]) => files.length > 0)
        .map(([outcome, files, words]) => (
          <li
            key={outcome}
            title={files.map((f) => f.url).join('\n')}
            data-outcome={outcome}
            data-names={files.map((f) => f.name).join(',')}
          >
            {files.length} {words}{' '}
            <span className="text-xs text-zinc-500 dark:text-zinc-400">
              ({formatBytes(files.reduce((n, f) => n + f.bytes, 0))}:{' '}
              {files.map((f) => f.name).join(', ')})
            </span>
          </li>
        ))}
    </ul>
  );
}
