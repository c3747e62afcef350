import { LOCAL_ID } from '../shared/catalog-store';
import { sourceHost, type CatalogEntry } from '../shared/catalog';
import type { FirstDownload } from './first-download';
import { formatBytes } from '../shared/format';
import { hubEndpointFor, hubEndpointName } from '../shared/hub-endpoint';
import { removeUserModel, selectModel } from '../shared/models';
import { useNetwork } from '../shared/network-store';
import { useSettings } from '../shared/settings-store';
import { Badge, cx } from '../shared/ui';

/** One model in the picker: a radio card with its base model, size and where it comes from. */
export function ModelOption({
  entry,
  selected,
  cached,
  download,
}: {
  entry: CatalogEntry;
  selected: boolean;
  cached: boolean;
  download?: FirstDownload;
}) {
  const isUser = entry.id.startsWith('url:');
  const hubDown = useNetwork((s) => !s.online || s.hubFailed);
  const hubName = useSettings((s) => hubEndpointName(hubEndpointFor(s.hubEndpoint)));
  return (
    <label
      className={cx(
        'group relative flex cursor-pointer gap-3 rounded-lg border px-3 py-2.5 transition-colors has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-indigo-500',
        selected
          ? 'border-indigo-500 bg-indigo-50/60 dark:border-indigo-500 dark:bg-indigo-950/40'
          : 'border-zinc-200 hover:border-zinc-300 dark:border-zinc-800 dark:hover:border-zinc-700',
      )}
      data-testid={`model-${entry.id}`}
    >
      <input
        type="radio"
        name="model"
        value={entry.id}
        checked={selected}
        onChange={() => selectModel(entry.id)}
        className="mt-1 accent-indigo-600"
      />
      <span className="min-w-0 flex-1">
        <span className="flex flex-wrap items-center gap-1.5">
          <span className="text-sm font-medium text-zinc-900 dark:text-zinc-100">{entry.name}</span>
          {entry.demo && <Badge tone="amber">random weights</Badge>}
          {entry.source.hub && <Badge tone="indigo">Hub</Badge>}
          {entry.id === LOCAL_ID && <Badge tone="indigo">local folder</Badge>}
          {cached && <Badge tone="green">cached</Badge>}
          {entry.remoteFirst && <Badge>large</Badge>}
        </span>
        <span className="mt-0.5 block truncate font-mono text-[11px] text-zinc-600 dark:text-zinc-300">
          {entry.baseModel}
        </span>
        <span
          className="block truncate text-xs text-zinc-500 dark:text-zinc-400"
          title={entry.id !== LOCAL_ID ? sourceHost(entry.source) : entry.description}
        >
          {[
            entry.id === LOCAL_ID && entry.size ? formatBytes(entry.size) : '',
            entry.id !== LOCAL_ID ? sourceHost(entry.source) : 'from your disk',
            entry.source.revision ? `revision ${entry.source.revision.slice(0, 7)}` : '',
          ]
            .filter(Boolean)
            .join(' · ')}
        </span>
        {entry.id !== LOCAL_ID && download?.encoderPin && (
          <span
            className="block truncate text-xs text-zinc-500 dark:text-zinc-400"
            data-testid="encoder-revision"
            title={`text encoder ${download.encoderPin.id} at revision ${download.encoderPin.revision}`}
          >
            text encoder {download.encoderPin.id.split('/').pop()} · revision{' '}
            {download.encoderPin.revision.slice(0, 7)}
          </span>
        )}
        {entry.id !== LOCAL_ID && download?.total !== undefined && (
          <span
            className="block text-xs text-zinc-600 dark:text-zinc-300"
            data-testid="first-download"
          >
            {cached ? 'cached · ' : 'first use downloads '}≈{formatBytes(download.total)}
            {download.encoder && (
              <>
                {' '}
                ({download.model !== undefined && `${formatBytes(download.model)} hypernetwork + `}
                {formatBytes(download.encoder.bytes)} text encoder, {download.encoder.dtype})
              </>
            )}
          </span>
        )}
        {entry.source.hub && hubDown && !cached && (
          <span
            className="mt-0.5 block text-xs text-amber-800 dark:text-amber-300"
            data-testid="hub-unreachable"
          >
            {hubName === 'huggingface.co' ? 'The Hugging Face Hub' : `The Hub endpoint ${hubName}`}{' '}
            cannot be reached{navigator.onLine ? '' : ' (offline)'}: this model needs a first
            download. The demo models work offline.
          </span>
        )}
      </span>
      {isUser && (
        <button
          type="button"
          onClick={(e) => {
            e.preventDefault();
            removeUserModel(entry.id);
          }}
          className="self-start rounded px-1 text-zinc-500 dark:text-zinc-400 hover:text-red-600 focus-visible:outline-2 focus-visible:outline-indigo-500"
          aria-label={`Remove ${entry.name}`}
        >
          ×
        </button>
      )}
    </label>
  );
}
