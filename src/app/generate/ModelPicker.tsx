import { useCache } from '../shared/cache-store';
import { useCatalog } from '../shared/catalog-store';
import { useDraft } from '../shared/draft-store';
import { useSettings } from '../shared/settings-store';
import { groupOf, isCached, type EntryGroup } from './model-status';
import { firstDownload } from './first-download';
import { allEntries, selectedEntry } from '../shared/models';
import { useExpectedEncoderDtype } from './use-encoder-dtype';
import { ModelOption } from './ModelOption';
import { AddLocation, LocalPickers } from './OwnModelInputs';
import { Card, cx, Spinner } from '../shared/ui';

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

export function ModelPicker() {
  const catalog = useCatalog();
  const userModels = useSettings((s) => s.userModels);
  const modelId = useDraft((s) => s.modelId);
  const cached = useCache((s) => s.entries);
  const entries = allEntries(catalog, userModels);
  const selected = selectedEntry(entries, modelId);
  const dtypeFor = useExpectedEncoderDtype();

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
                    download={firstDownload(e, catalog.catalog, dtypeFor)}
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
