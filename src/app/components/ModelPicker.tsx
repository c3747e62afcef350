import { useState, type FormEvent } from 'react';
import { useCache } from '../stores/cache';
import { LOCAL_ID, useCatalog } from '../stores/catalog';
import { useDraft } from '../stores/draft';
import { useSettings } from '../stores/settings';
import { sourceHost, type CatalogEntry } from '../services/catalog';
import { formatBytes } from '../services/format';
import { folderFromFileList } from '../services/local-folder';
import { groupOf, isCached, type EntryGroup } from '../services/model-status';
import {
  addModelLocation,
  allEntries,
  openLocalFolder,
  removeUserModel,
  selectedEntry,
  selectModel,
} from '../services/models';
import { Badge, Button, Card, cx, Spinner } from './ui';

const GROUPS: Array<{ id: EntryGroup; title: string; note: string }> = [
  {
    id: 'official',
    title: 'Official T2L checkpoints',
    note: 'Sakana AI · downloaded from the Hugging Face Hub on first use, converted here, then cached',
  },
  {
    id: 'demo',
    title: 'Offline demo',
    note: 'Tiny models with random weights: they exercise the app, their adapters do nothing useful',
  },
  {
    id: 'yours',
    title: 'Your own',
    note: 'A package or checkpoint from a URL, the Hub, or your disk',
  },
];

function ModelOption({
  entry,
  selected,
  cached,
}: {
  entry: CatalogEntry;
  selected: boolean;
  cached: boolean;
}) {
  const isUser = entry.id.startsWith('url:');
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
            entry.size ? `≈${formatBytes(entry.size)}` : '',
            entry.id !== LOCAL_ID ? sourceHost(entry.source) : 'from your disk',
          ]
            .filter(Boolean)
            .join(' · ')}
        </span>
      </span>
      {isUser && (
        <button
          type="button"
          onClick={(e) => {
            e.preventDefault();
            removeUserModel(entry.id);
          }}
          className="self-start rounded px-1 text-zinc-400 hover:text-red-600 focus-visible:outline-2 focus-visible:outline-indigo-500"
          aria-label={`Remove ${entry.name}`}
        >
          ×
        </button>
      )}
    </label>
  );
}

function AddLocation() {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    try {
      addModelLocation(value);
      setValue('');
      setError(null);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <form onSubmit={onSubmit} className="flex flex-col gap-1.5">
      <div className="flex gap-2">
        <label htmlFor="model-url" className="sr-only">
          Package or checkpoint location
        </label>
        <input
          id="model-url"
          value={value}
          onChange={(e) => setValue(e.target.value)}
          placeholder="https://…/package/  or  owner/repo/folder"
          className="min-w-0 flex-1 rounded-lg border border-zinc-300 bg-white px-3 py-1.5 text-sm placeholder:text-zinc-400 focus:border-indigo-500 focus:ring-2 focus:ring-indigo-500/30 focus:outline-none dark:border-zinc-700 dark:bg-zinc-950"
        />
        <Button type="submit">Add</Button>
      </div>
      {error && <p className="text-xs text-red-600 dark:text-red-400">{error}</p>}
    </form>
  );
}

function LocalPickers() {
  const dirProps = { webkitdirectory: '', directory: '' } as Record<string, string>;
  return (
    <div className="flex flex-wrap items-center gap-2">
      <label className="inline-flex cursor-pointer items-center gap-2 rounded-lg border border-zinc-300 bg-white px-3 py-1.5 text-sm font-medium text-zinc-800 hover:bg-zinc-50 has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-indigo-500 dark:border-zinc-700 dark:bg-zinc-800 dark:text-zinc-100 dark:hover:bg-zinc-700">
        Open folder…
        <input
          type="file"
          multiple
          {...dirProps}
          className="sr-only"
          data-testid="folder-input"
          onChange={(e) => {
            if (e.target.files?.length) openLocalFolder(folderFromFileList(e.target.files));
            e.target.value = '';
          }}
        />
      </label>
      <label className="inline-flex cursor-pointer items-center gap-2 rounded-lg px-2 py-1.5 text-sm text-zinc-600 hover:text-zinc-900 has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-indigo-500 dark:text-zinc-300 dark:hover:text-white">
        Open files…
        <input
          type="file"
          multiple
          className="sr-only"
          data-testid="files-input"
          onChange={(e) => {
            if (e.target.files?.length) openLocalFolder(folderFromFileList(e.target.files));
            e.target.value = '';
          }}
        />
      </label>
      <span className="text-xs text-zinc-500 dark:text-zinc-400">or drop a folder on the page</span>
    </div>
  );
}

export function ModelPicker() {
  const catalog = useCatalog();
  const userModels = useSettings((s) => s.userModels);
  const modelId = useDraft((s) => s.modelId);
  const cached = useCache((s) => s.entries);
  const entries = allEntries(catalog, userModels);
  const selected = selectedEntry(entries, modelId);

  return (
    <Card title="Hypernetwork">
      {catalog.status === 'loading' && (
        <p className="flex items-center gap-2 text-sm text-zinc-500">
          <Spinner /> Loading the model catalog…
        </p>
      )}
      {catalog.status === 'error' && (
        <p className="text-sm text-red-600 dark:text-red-400" role="alert">
          The model catalog could not be loaded ({catalog.error}). You can still open a folder
          below.
        </p>
      )}
      <div role="radiogroup" aria-label="Hypernetwork" className="flex flex-col gap-4">
        {GROUPS.map((g) => {
          const items = entries.filter((e) => groupOf(e) === g.id);
          if (g.id !== 'yours' && items.length === 0) return null;
          return (
            <fieldset key={g.id} className="flex min-w-0 flex-col gap-1.5">
              <legend className="mb-1.5 text-xs">
                <span className="font-semibold tracking-wide text-zinc-700 uppercase dark:text-zinc-300">
                  {g.title}
                </span>
                <span className="ml-2 text-zinc-500 dark:text-zinc-400">{g.note}</span>
              </legend>
              <div className={cx('grid grid-cols-1 gap-1.5', g.id !== 'yours' && 'sm:grid-cols-2')}>
                {items.map((e) => (
                  <ModelOption
                    key={e.id}
                    entry={e}
                    selected={selected?.id === e.id}
                    cached={isCached(e, cached)}
                  />
                ))}
              </div>
              {g.id === 'yours' && (
                <div className="mt-1 flex flex-col gap-2">
                  <AddLocation />
                  <LocalPickers />
                </div>
              )}
            </fieldset>
          );
        })}
      </div>
    </Card>
  );
}
