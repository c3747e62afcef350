/** What to compare: configurations on one description, descriptions on one configuration, or a blend. */
import type { AdapterDType } from '../../core/adapter/adapter-files';
import { PRECISIONS, type Precision } from '../../core/package/manifest';
import type { BackendPreference } from '../shared/backend-choice';
import {
  cancelCompare,
  compareActions,
  compareProblem,
  modelChoices,
  pickCompareExample,
  runCompare,
} from './compare';
import { ExampleChips } from '../generate/ExampleChips';
import { useCatalog } from '../shared/catalog-store';
import {
  MAX_CONFIGS,
  MAX_DESCRIPTIONS,
  useCompare,
  type ColumnConfig,
  type CompareMode,
} from '../shared/compare-store';
import { Button, Card, cx } from '../shared/ui';

const field =
  'w-full rounded-lg border border-zinc-300 bg-white px-2 py-1.5 text-sm dark:border-zinc-700 dark:bg-zinc-800';
const labelCls = 'text-xs font-medium text-zinc-600 dark:text-zinc-300';

const MODES: { id: CompareMode; label: string }[] = [
  { id: 'configs', label: 'Configurations on one description' },
  { id: 'descriptions', label: 'Descriptions on one configuration' },
  { id: 'blend', label: 'Blend two descriptions' },
];

function ConfigFields({
  config,
  onChange,
  prefix,
}: {
  config: ColumnConfig;
  onChange: (patch: Partial<ColumnConfig>) => void;
  prefix: string;
}) {
  useCatalog((s) => s.catalog);
  const models = modelChoices();
  return (
    <div className="grid grid-cols-2 gap-2">
      <label className="col-span-2 flex flex-col gap-1">
        <span className={labelCls}>T2L model</span>
        <select
          className={field}
          value={config.modelId}
          onChange={(e) => onChange({ modelId: e.target.value })}
          data-testid={`${prefix}-model`}
        >
          {models.map((m) => (
            <option key={m.id} value={m.id}>
              {m.name}
            </option>
          ))}
        </select>
      </label>
      <label className="flex flex-col gap-1">
        <span className={labelCls}>Backend</span>
        <select
          className={field}
          value={config.backend}
          onChange={(e) => onChange({ backend: e.target.value as BackendPreference })}
          data-testid={`${prefix}-backend`}
        >
          <option value="auto">Auto</option>
          <option value="webgpu">WebGPU</option>
          <option value="wasm">wasm</option>
          <option value="remote">Remote</option>
        </select>
      </label>
      <label className="flex flex-col gap-1">
        <span className={labelCls}>Precision</span>
        <select
          className={field}
          value={config.precision}
          onChange={(e) => onChange({ precision: e.target.value as Precision | 'auto' })}
          data-testid={`${prefix}-precision`}
        >
          <option value="auto">auto</option>
          {PRECISIONS.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
      </label>
      <label className="col-span-2 flex flex-col gap-1">
        <span className={labelCls}>Adapter dtype</span>
        <select
          className={field}
          value={config.dtype}
          onChange={(e) => onChange({ dtype: e.target.value as AdapterDType })}
          data-testid={`${prefix}-dtype`}
        >
          <option value="float32">float32</option>
          <option value="float16">float16</option>
          <option value="bfloat16">bfloat16</option>
        </select>
      </label>
    </div>
  );
}

function Description({
  value,
  onChange,
  label,
  testId,
}: {
  value: string;
  onChange: (v: string) => void;
  label: string;
  testId: string;
}) {
  return (
    <label className="flex flex-col gap-1">
      <span className={labelCls}>{label}</span>
      <textarea
        className={cx(field, 'min-h-16 resize-y')}
        value={value}
        rows={2}
        onChange={(e) => onChange(e.target.value)}
        data-testid={testId}
      />
    </label>
  );
}

export function CompareForm() {
  const s = useCompare();
  const problem = compareProblem(s);
  return (
    <Card title="Compare side by side" data-testid="compare-form">
      <div className="flex flex-col gap-4">
        <div role="radiogroup" aria-label="What to compare" className="flex flex-wrap gap-2">
          {MODES.map((m) => (
            <button
              key={m.id}
              type="button"
              role="radio"
              aria-checked={s.mode === m.id}
              onClick={() => compareActions.setMode(m.id)}
              data-testid={`compare-mode-${m.id}`}
              className={cx(
                'rounded-full border px-3 py-1 text-sm',
                s.mode === m.id
                  ? 'border-indigo-500 bg-indigo-50 text-indigo-800 dark:bg-indigo-950 dark:text-indigo-200'
                  : 'border-zinc-300 dark:border-zinc-700',
              )}
            >
              {m.label}
            </button>
          ))}
        </div>

        <ExampleChips onPick={pickCompareExample} testId="compare-examples" />
        {s.mode === 'configs' && (
          <>
            <Description
              label="Description"
              value={s.description}
              onChange={compareActions.setDescription}
              testId="compare-description"
            />
            <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
              {s.configs.map((c, i) => (
                <div
                  key={i}
                  className="flex flex-col gap-2 rounded-lg border border-zinc-200 p-2 dark:border-zinc-800"
                >
                  <div className="flex items-center justify-between text-xs font-semibold">
                    Column {i + 1}
                    <Button
                      variant="ghost"
                      className="px-1.5 py-0.5 text-xs"
                      disabled={s.configs.length <= 2}
                      onClick={() => compareActions.removeConfig(i)}
                      aria-label={`Remove column ${i + 1}`}
                    >
                      ✕
                    </Button>
                  </div>
                  <ConfigFields
                    config={c}
                    onChange={(p) => compareActions.setConfig(i, p)}
                    prefix={`config-${i}`}
                  />
                </div>
              ))}
            </div>
            <div>
              <Button
                onClick={compareActions.addConfig}
                disabled={s.configs.length >= MAX_CONFIGS}
                data-testid="add-config"
              >
                + Configuration
              </Button>
            </div>
          </>
        )}

        {s.mode !== 'configs' && (
          <div className="max-w-md">
            <ConfigFields config={s.single} onChange={compareActions.setSingle} prefix="single" />
          </div>
        )}

        {s.mode === 'descriptions' && (
          <>
            <div className="grid gap-2 sm:grid-cols-2">
              {s.descriptions.map((d, i) => (
                <div key={i} className="flex items-start gap-1">
                  <div className="flex-1">
                    <Description
                      label={`Description ${i + 1}`}
                      value={d}
                      onChange={(v) => compareActions.setDescriptionAt(i, v)}
                      testId={`compare-description-${i}`}
                    />
                  </div>
                  <Button
                    variant="ghost"
                    className="mt-5 px-1.5 py-0.5 text-xs"
                    disabled={s.descriptions.length <= 2}
                    onClick={() => compareActions.removeDescription(i)}
                    aria-label={`Remove description ${i + 1}`}
                  >
                    ✕
                  </Button>
                </div>
              ))}
            </div>
            <div>
              <Button
                onClick={compareActions.addDescription}
                disabled={s.descriptions.length >= MAX_DESCRIPTIONS}
                data-testid="add-description"
              >
                + Description
              </Button>
            </div>
          </>
        )}

        {s.mode === 'blend' && (
          <div className="flex flex-col gap-2">
            <div className="grid gap-2 sm:grid-cols-2">
              <Description
                label="Description A"
                value={s.blend.a}
                onChange={(a) => compareActions.setBlend({ a })}
                testId="blend-a"
              />
              <Description
                label="Description B"
                value={s.blend.b}
                onChange={(b) => compareActions.setBlend({ b })}
                testId="blend-b"
              />
            </div>
            <label className="flex items-center gap-3 text-sm">
              <span className={labelCls}>A</span>
              <input
                type="range"
                min={0}
                max={1}
                step={0.05}
                value={s.blend.weight}
                onChange={(e) => compareActions.setBlend({ weight: Number(e.target.value) })}
                className="flex-1 accent-indigo-600"
                aria-label="Weight of description B"
                data-testid="blend-weight"
              />
              <span className={labelCls}>B</span>
              <output
                className="w-28 text-right text-xs tabular-nums"
                data-testid="blend-weight-value"
              >
                {Math.round((1 - s.blend.weight) * 100)}% A · {Math.round(s.blend.weight * 100)}% B
              </output>
            </label>
            <p className="text-xs text-zinc-500 dark:text-zinc-400">
              The blended adapter comes from (1−w)·e(A) + w·e(B), rescaled to the norm the encoder
              gives; its metadata records both descriptions and w (t2l.blend). A and B are generated
              too, for comparison.
            </p>
          </div>
        )}

        <div className="flex flex-wrap items-center gap-3">
          <Button
            variant="primary"
            onClick={() => void runCompare()}
            disabled={s.running || problem !== null}
            data-testid="run-compare"
          >
            {s.running ? 'Comparing…' : 'Compare'}
          </Button>
          {s.running && (
            <Button onClick={cancelCompare} data-testid="cancel-compare">
              Cancel
            </Button>
          )}
          {problem && !s.running && (
            <span className="text-xs text-zinc-500 dark:text-zinc-400">{problem}</span>
          )}
          {s.error && (
            <span role="alert" className="text-sm text-red-700 dark:text-red-300">
              {s.error}
            </span>
          )}
        </div>
      </div>
    </Card>
  );
}
