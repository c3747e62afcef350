/**
 * What to score: pasted or picked examples (JSONL or CSV) with an optional template and system
 * message, or a benchmark sample; the optional control adapter, the answer length (for either, as
 * `t2l eval --max-tokens`); Run and Cancel. Shared by the Generate view's panel and
 * Compare's Accuracy row (which has no control: its columns are the comparison).
 */
import { MAX_ANSWER_TOKENS } from '../../core/eval/protocol';
import { accuracyPanel, cancelAccuracy, editAccuracyForm, pickExampleFile } from './accuracy';
import { answerTokensField } from './accuracy-core';
import {
  BENCHMARKS,
  BENCHMARK_MAX_TOKENS,
  DEFAULT_JUNK,
  useAccuracy,
  type BenchmarkName,
} from './accuracy-store';
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
  const benchmark = f.source === 'benchmark';
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
          <div className="flex flex-wrap gap-3 text-xs font-medium">
            <label className="flex min-w-64 flex-1 flex-col gap-1">
              Template for every row (optional; as <code>t2l eval --template</code>)
              <textarea
                rows={2}
                className={`${field} font-mono text-xs`}
                placeholder={'Q: {prompt}\n{choices}\nAnswer with a letter.'}
                value={f.template}
                onChange={(e) => edit({ template: e.target.value })}
                data-testid={`${testId}-template`}
              />
              <span className="font-normal text-zinc-500">
                {'{prompt}'} is the row’s prompt, {'{choices}'} its choices as “A: …” lines;{' '}
                {'{{ }}'} for braces. Empty: the prompt as it is, choices in the reference’s layout.
              </span>
            </label>
            <label className="flex min-w-48 flex-1 flex-col gap-1">
              System message for every row (optional; <code>--system</code>)
              <textarea
                rows={2}
                className={`${field} text-xs`}
                placeholder="Empty: an empty system message, as the reference sends"
                value={f.system}
                onChange={(e) => edit({ system: e.target.value })}
                data-testid={`${testId}-system`}
              />
            </label>
          </div>
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
            max={MAX_ANSWER_TOKENS}
            className={`${field} w-24`}
            value={benchmark ? f.benchmarkMaxTokens : f.maxTokens}
            onChange={(e) => {
              const n = answerTokensField(e.target.value);
              edit(benchmark ? { benchmarkMaxTokens: n } : { maxTokens: n });
            }}
            aria-describedby={`${testId}-max-tokens-help`}
            data-testid={`${testId}-max-tokens`}
          />
        </label>
        <p
          id={`${testId}-max-tokens-help`}
          className="basis-full font-normal text-zinc-500"
          data-testid={`${testId}-max-tokens-help`}
        >
          {benchmark
            ? `For benchmarks too, as t2l eval --max-tokens: the reference allows ${BENCHMARK_MAX_TOKENS}; a lower cap is faster but may cut an answer short (GSM8K reasons before its number). A choice answer stops once its letter or digit is written.`
            : 'Each answer stops here or when the model ends it; a choice answer once its letter is written. Use a cap a little above your longest answer.'}
        </p>
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
