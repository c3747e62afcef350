import type { AdapterDType } from '../../core/adapter/adapter-files';
import { ENCODER_DTYPES, type EncoderDtype } from '../../core/encoder/dtype';
import { PRECISIONS, type Precision } from '../../core/package/manifest';
import { PRECISION_INFO } from '../../core/package/precision';
import { useCapabilities } from '../shared/capabilities-store';
import { useCatalog } from '../shared/catalog-store';
import { useDraftOptions } from '../shared/draft-store';
import { useSettings } from '../shared/settings-store';
import type { BackendPreference } from '../shared/backend-choice';
import { resolvePrecision } from './generation';
import { currentSelection } from '../shared/selection';
import { Card, cx } from '../shared/ui';

const BACKENDS: Array<{ id: BackendPreference; label: string }> = [
  { id: 'auto', label: 'Auto' },
  { id: 'webgpu', label: 'WebGPU' },
  { id: 'wasm', label: 'wasm' },
  { id: 'remote', label: 'Remote' },
];

const DTYPES: AdapterDType[] = ['float32', 'float16', 'bfloat16'];

const select =
  'w-full rounded-lg border border-zinc-300 bg-white px-2.5 py-1.5 text-sm focus:border-indigo-500 focus:ring-2 focus:ring-indigo-500/30 focus:outline-none dark:border-zinc-700 dark:bg-zinc-950';
const label = 'mb-1 block text-xs font-medium text-zinc-600 dark:text-zinc-400';

export function OptionsCard() {
  const draft = useDraftOptions();
  const catalog = useCatalog();
  const settings = useSettings();
  const caps = useCapabilities((s) => s.caps);
  const { entry, choice } = currentSelection(draft, catalog, settings, caps);
  const backends = choice?.ok ? choice.backends : (['wasm'] as const);
  const precision = resolvePrecision(draft.precision, backends);
  const converts = entry?.source.kind !== 'package';
  return (
    <Card title="Options">
      <div className="flex flex-col gap-4">
        <fieldset className="min-w-0">
          <legend className={label}>Backend</legend>
          <div
            className="inline-flex flex-wrap rounded-lg border border-zinc-300 p-0.5 dark:border-zinc-700"
            role="radiogroup"
            aria-label="Backend"
          >
            {BACKENDS.map((b) => (
              <label
                key={b.id}
                className={cx(
                  'cursor-pointer rounded-md px-3 py-1 text-sm transition-colors has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-indigo-500',
                  draft.backend === b.id
                    ? 'bg-indigo-600 text-white shadow-sm'
                    : 'text-zinc-700 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800',
                )}
              >
                <input
                  type="radio"
                  name="backend"
                  value={b.id}
                  checked={draft.backend === b.id}
                  onChange={() => draft.setBackend(b.id)}
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
            {!choice ? (
              'Checking what this browser can run…'
            ) : choice.ok ? (
              <>
                Runs on{' '}
                <strong className="font-medium text-zinc-700 dark:text-zinc-200">
                  {choice.backends[0]}
                </strong>
                : {choice.reason}.
              </>
            ) : (
              <span className="text-amber-700 dark:text-amber-400">{choice.reason}</span>
            )}
          </p>
        </fieldset>

        <div className="grid gap-3 sm:grid-cols-3">
          <div>
            <label htmlFor="precision" className={label}>
              Hypernetwork precision
            </label>
            <select
              id="precision"
              value={draft.precision}
              onChange={(e) => draft.setPrecision(e.target.value as Precision | 'auto')}
              className={select}
            >
              <option value="auto">Auto ({precision})</option>
              {PRECISIONS.map((p) => (
                <option key={p} value={p}>
                  {PRECISION_INFO[p].label}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor="encoder-dtype" className={label}>
              Text encoder
            </label>
            <select
              id="encoder-dtype"
              value={draft.encoderDtype}
              onChange={(e) => draft.setEncoderDtype(e.target.value as EncoderDtype | 'auto')}
              className={select}
            >
              <option value="auto">Auto (by backend)</option>
              {ENCODER_DTYPES.map((d) => (
                <option key={d} value={d}>
                  {d}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor="dtype" className={label}>
              Adapter weights
            </label>
            <select
              id="dtype"
              value={draft.dtype}
              onChange={(e) => draft.setDtype(e.target.value as AdapterDType)}
              className={select}
            >
              {DTYPES.map((d) => (
                <option key={d} value={d}>
                  {d}
                </option>
              ))}
            </select>
          </div>
        </div>
        <p className="-mt-2 text-xs text-zinc-500 dark:text-zinc-400" data-testid="precision-help">
          {converts
            ? `${PRECISION_INFO[precision].label}: ${PRECISION_INFO[precision].description}`
            : 'This package keeps the precision it was converted with; the precision choice applies to checkpoints converted here.'}
        </p>
      </div>
    </Card>
  );
}
