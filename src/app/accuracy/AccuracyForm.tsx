/**
 * What to score: pasted or picked examples (JSONL or CSV) or a benchmark sample, the optional
 * control adapter, the answer length; Run and Cancel. Shared by the Generate view's panel and
 * Compare's Accuracy row (which has no control: its columns are the comparison).
 */
import { accuracyPanel, cancelAccuracy, editAccuracyForm, pickExampleFile } from './accuracy';
import { BENCHMARKS, DEFAULT_JUNK, useAccuracy, type BenchmarkName } from './accuracy-store';
import { Button } from '../shared/ui';

const field =
  'rounded-lg border border-zinc-300 bg-white px-2 py-1.5 text-sm font-normal dark:border-zinc-700 dark:bg-zinc-950';

export const BENCHMARK_LABELS: Record<BenchmarkName, string> = {
  arc_easy: 'ARC-Easy',
  arc_challenge: 'ARC-Challenge',
  boolq: 'BoolQ',
  hellaswag: 'HellaSwag',
  openbookqa: 'OpenBookQA',
  piqa: 'PIQA',
  winogrande: 'Winogrande',
  gsm8k: 'GSM8K',
};

const PLACEHOLDER = `{"prompt": "What is 2 + 3?", "answer": "5"}
{"prompt": "Is the sky green?", "choices": ["yes", "no"], "answer": "B"}`;

export function AccuracyForm({
  panelKey,
  testId,
  withControl,
  onRun,
  disabledReason,
}: {
  panelKey: string;
  testId: string;
  withControl: boolean;
  onRun: () => void;
  disabledReason?: string | null;
}) {
  useAccuracy((s) => s.panels[panelKey]);
  const p = accuracyPanel(panelKey);
  const f = p.form;
  const busy = p.status === 'preparing' || p.status === 'running';
  const edit = (patch: Parameters<typeof editAccuracyForm>[1]) => editAccuracyForm(panelKey, patch);
  return (
    <form
      className="flex flex-col gap-3"
      onSubmit={(e) => {
        e.preventDefault();
        onRun();
      }}
    >
      <fieldset className="flex flex-wrap gap-4 text-sm">
        <legend className="mb-1 text-sm font-medium">Examples</legend>
        <label className="flex items-center gap-1">
          <input
            type="radio"
            name={`${testId}-source`}
            checked={f.source === 'own'}
            onChange={() => edit({ source: 'own' })}
            data-testid={`${testId}-source-own`}
          />
          Your own (JSONL or CSV)
        </label>
        <label className="flex items-center gap-1">
          <input
            type="radio"
            name={`${testId}-source`}
            checked={f.source === 'benchmark'}
            onChange={() => edit({ source: 'benchmark' })}
            data-testid={`${testId}-source-benchmark`}
          />
          A benchmark sample
        </label>
      </fieldset>
      {f.source === 'own' ? (
        <div className="flex flex-col gap-2">
          <label className="flex flex-col gap-1 text-xs font-medium">
            One example per line: prompt and answer, or prompt, choices and answer (a letter or an
            index)
            <textarea
              rows={5}
              className={`${field} font-mono text-xs`}
              placeholder={PLACEHOLDER}
              value={f.text}
              onChange={(e) => edit({ text: e.target.value, fileName: null })}
              data-testid={`${testId}-examples`}
            />
          </label>
          <label className="text-xs text-zinc-600 dark:text-zinc-300">
            or a file:{' '}
            <input
              type="file"
              accept=".jsonl,.json,.csv,.txt"
              className="text-xs"
              data-testid={`${testId}-file`}
              onChange={(e) => {
                const file = e.target.files?.[0];
                if (file) void pickExampleFile(panelKey, file);
                e.target.value = '';
              }}
            />
            {f.fileName && <span className="ml-1 font-mono">{f.fileName}</span>}
          </label>
        </div>
      ) : (
        <div className="flex flex-wrap items-end gap-3 text-xs font-medium">
          <label className="flex flex-col gap-1">
            Benchmark
            <select
              className={field}
              value={f.benchmark}
              onChange={(e) => edit({ benchmark: e.target.value as BenchmarkName })}
              data-testid={`${testId}-benchmark`}
            >
              {BENCHMARKS.map((b) => (
                <option key={b} value={b}>
                  {BENCHMARK_LABELS[b]}
                </option>
              ))}
            </select>
          </label>
          <label className="flex flex-col gap-1">
            Examples (N)
            <input
              type="number"
              min={1}
              max={2000}
              className={`${field} w-24`}
              value={f.limit}
              onChange={(e) =>
                edit({
                  limit: Math.max(1, Math.min(2000, Math.round(Number(e.target.value) || 1))),
                })
              }
              data-testid={`${testId}-limit`}
            />
          </label>
          <label className="flex flex-col gap-1">
            Seed
            <input
              type="number"
              min={0}
              className={`${field} w-24`}
              value={f.seed}
              onChange={(e) => edit({ seed: Math.max(0, Math.round(Number(e.target.value) || 0)) })}
              data-testid={`${testId}-seed`}
            />
          </label>
          <p className="basis-full font-normal text-zinc-500">
            HumanEval and MBPP are not scored here: they need their code answers run.
          </p>
        </div>
      )}
      <div className="flex flex-wrap items-end gap-3 text-xs font-medium">
        {withControl && (
          <>
            <label className="flex flex-col gap-1">
              Control adapter
              <select
                className={field}
                value={f.control}
                onChange={(e) => edit({ control: e.target.value as typeof f.control })}
                data-testid={`${testId}-control`}
              >
                <option value="junk">From a junk string</option>
                <option value="description">From an unrelated description</option>
                <option value="none">None</option>
              </select>
            </label>
            {f.control !== 'none' && (
              <label className="flex min-w-48 flex-1 flex-col gap-1">
                {f.control === 'junk' ? 'Junk string' : 'Unrelated description'}
                <input
                  className={field}
                  value={f.controlText}
                  placeholder={f.control === 'junk' ? DEFAULT_JUNK : 'Describe another task'}
                  onChange={(e) => edit({ controlText: e.target.value })}
                  data-testid={`${testId}-control-text`}
                />
              </label>
            )}
          </>
        )}
        <label className="flex flex-col gap-1">
          Max answer tokens
          <input
            type="number"
            min={1}
            max={512}
            className={`${field} w-24`}
            value={f.maxTokens}
            onChange={(e) =>
              edit({
                maxTokens: Math.max(1, Math.min(512, Math.round(Number(e.target.value) || 1))),
              })
            }
            data-testid={`${testId}-max-tokens`}
          />
        </label>
      </div>
      <div className="flex flex-wrap items-center gap-2">
        <Button
          type="submit"
          variant="primary"
          disabled={busy || Boolean(disabledReason)}
          title={disabledReason ?? undefined}
          data-testid={`${testId}-run`}
        >
          Run
        </Button>
        <Button
          disabled={!busy}
          onClick={() => cancelAccuracy(panelKey)}
          data-testid={`${testId}-cancel`}
        >
          Cancel
        </Button>
        {disabledReason && <span className="text-xs text-zinc-500">{disabledReason}</span>}
      </div>
    </form>
  );
}
