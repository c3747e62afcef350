import type { AdapterDType } from '../../core/adapter/adapter-files';
import { useCapabilities } from '../stores/capabilities';
import { useCatalog } from '../stores/catalog';
import { useDraft } from '../stores/draft';
import { useSettings } from '../stores/settings';
import { chooseBackends, type BackendPreference } from '../services/backend-choice';
import { allEntries, selectedEntry } from '../services/models';
import { Card, cx } from './ui';

const BACKENDS: Array<{ id: BackendPreference; label: string }> = [
  { id: 'auto', label: 'Auto' },
  { id: 'webgpu', label: 'WebGPU' },
  { id: 'wasm', label: 'wasm' },
  { id: 'remote', label: 'Remote' },
];

const DTYPES: Array<{ id: AdapterDType; label: string }> = [
  { id: 'float32', label: 'float32' },
  { id: 'float16', label: 'float16' },
  { id: 'bfloat16', label: 'bfloat16' },
];

function BackendReason() {
  const caps = useCapabilities((s) => s.caps);
  const pref = useDraft((s) => s.backend);
  const modelId = useDraft((s) => s.modelId);
  const catalog = useCatalog();
  const settings = useSettings();
  if (!caps) return <span>Checking what this browser can run…</span>;
  const entry = selectedEntry(allEntries(catalog, settings.userModels), modelId);
  const choice = chooseBackends(pref, caps, {
    remoteConfigured: Boolean(settings.remoteUrl),
    ...(entry?.remoteFirst ? { remoteFirst: true } : {}),
  });
  return choice.ok ? (
    <span>
      Runs on{' '}
      <strong className="font-medium text-zinc-700 dark:text-zinc-200">{choice.backends[0]}</strong>
      : {choice.reason}.
    </span>
  ) : (
    <span className="text-amber-700 dark:text-amber-400">{choice.reason}</span>
  );
}

export function OptionsCard() {
  const backend = useDraft((s) => s.backend);
  const setBackend = useDraft((s) => s.setBackend);
  const dtype = useDraft((s) => s.dtype);
  const setDtype = useDraft((s) => s.setDtype);
  return (
    <Card title="Options">
      <div className="grid gap-4 sm:grid-cols-[1fr_auto]">
        <fieldset>
          <legend className="mb-1.5 text-xs font-medium text-zinc-600 dark:text-zinc-400">
            Backend
          </legend>
          <div
            className="inline-flex rounded-lg border border-zinc-300 p-0.5 dark:border-zinc-700"
            role="radiogroup"
            aria-label="Backend"
          >
            {BACKENDS.map((b) => (
              <label
                key={b.id}
                className={cx(
                  'cursor-pointer rounded-md px-3 py-1 text-sm transition-colors has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-indigo-500',
                  backend === b.id
                    ? 'bg-indigo-600 text-white shadow-sm'
                    : 'text-zinc-700 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800',
                )}
              >
                <input
                  type="radio"
                  name="backend"
                  value={b.id}
                  checked={backend === b.id}
                  onChange={() => setBackend(b.id)}
                  className="sr-only"
                />
                {b.label}
              </label>
            ))}
          </div>
          <p
            className="mt-1.5 text-xs text-zinc-500 dark:text-zinc-400"
            data-testid="backend-reason"
          >
            <BackendReason />
          </p>
        </fieldset>
        <div>
          <label
            htmlFor="dtype"
            className="mb-1.5 block text-xs font-medium text-zinc-600 dark:text-zinc-400"
          >
            Adapter weights
          </label>
          <select
            id="dtype"
            value={dtype}
            onChange={(e) => setDtype(e.target.value as AdapterDType)}
            className="rounded-lg border border-zinc-300 bg-white px-2.5 py-1.5 text-sm focus:border-indigo-500 focus:ring-2 focus:ring-indigo-500/30 focus:outline-none dark:border-zinc-700 dark:bg-zinc-950"
          >
            {DTYPES.map((d) => (
              <option key={d.id} value={d.id}>
                {d.label}
              </option>
            ))}
          </select>
        </div>
      </div>
    </Card>
  );
}
