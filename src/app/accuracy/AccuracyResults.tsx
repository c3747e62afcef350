/**
 * An accuracy report: per model its accuracy with the 95% interval, and against the base the
 * examples gained and lost with the sign test's p-value; then every example (prompt, expected,
 * each model's answer, right or wrong), all or only where the verdicts differ; CSV and JSON.
 */
import { useState } from 'react';
import {
  downloadReport,
  formatP,
  percent,
  rowsWhereTheyDiffer,
  type EvalReport,
} from './accuracy-report';
import { Badge, Button } from '../shared/ui';

export function AccuracySummary({ report, testId }: { report: EvalReport; testId: string }) {
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-sm tabular-nums" data-testid={`${testId}-summary`}>
        <caption className="pb-1 text-left text-xs text-zinc-600 dark:text-zinc-300">
          {report.set.name} · {report.rows.length} of {report.set.total} examples
          {report.set.seed !== undefined && ` · seed ${report.set.seed}`}
          {report.set.source && ` · ${report.set.source}`} · {report.baseName} · greedy, at most{' '}
          {report.maxTokens} answer tokens
          {report.control && ` · control from “${report.control}”`}
          {!report.complete && (report.error ? ' · stopped by an error' : ' · cancelled')}
          <PromptsUsed report={report} testId={testId} />
        </caption>
        <thead>
          <tr className="text-left text-xs text-zinc-600 dark:text-zinc-300">
            <th scope="col" className="px-2 py-1 font-medium">
              Model
            </th>
            <th scope="col" className="px-2 py-1 font-medium">
              Accuracy
            </th>
            <th scope="col" className="px-2 py-1 font-medium">
              95% interval
            </th>
            <th scope="col" className="px-2 py-1 font-medium">
              vs base: gained / lost
            </th>
            <th scope="col" className="px-2 py-1 font-medium">
              Sign test
            </th>
          </tr>
        </thead>
        <tbody>
          {report.models.map((m, i) => {
            const s = report.summaries[i];
            return (
              <tr
                key={m.key}
                className="border-t border-zinc-100 dark:border-zinc-800"
                data-testid={`${testId}-model`}
                data-model={m.key}
                data-correct={s?.correct ?? ''}
                data-n={s?.n ?? ''}
              >
                <th scope="row" className="px-2 py-1 text-left font-medium">
                  {m.label}
                </th>
                <td className="px-2 py-1" data-testid={`${testId}-accuracy`}>
                  {s ? `${percent(s.accuracy)} (${s.correct}/${s.n})` : '–'}
                </td>
                <td className="px-2 py-1" data-testid={`${testId}-interval`}>
                  {s ? `${percent(s.low)} – ${percent(s.high)}` : '–'}
                </td>
                <td className="px-2 py-1" data-testid={`${testId}-gained-lost`}>
                  {s?.vsBase ? `+${s.vsBase.gained} / −${s.vsBase.lost}` : '–'}
                </td>
                <td className="px-2 py-1" data-testid={`${testId}-p`}>
                  {s?.vsBase ? formatP(s.vsBase.pValue) : '–'}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p className="mt-1 text-xs text-zinc-600 dark:text-zinc-300">
        The interval is Wilson’s 95% score interval: with few examples it is wide, and two models
        whose intervals overlap may not differ. Gained and lost count the examples this model got
        right and the base wrong, and the other way round; the exact two-sided sign test (McNemar)
        says how likely such a split is by chance.
      </p>
    </div>
  );
}

/**
 * How own examples were asked: the template and system message (a reader of a kept report must
 * know them to read its answers); a benchmark's prompts are the reference's.
 */
function PromptsUsed({ report, testId }: { report: EvalReport; testId: string }) {
  if (report.set.kind === 'benchmark') return <span> · the reference’s prompts</span>;
  return (
    <span className="block" data-testid={`${testId}-prompts`}>
      Template:{' '}
      {report.template ? (
        <code className="whitespace-pre-wrap">{report.template}</code>
      ) : (
        'the default (the prompt as it is; choices as “A: …” lines in the reference’s layout)'
      )}
      {' · '}System message:{' '}
      {report.system ? <code className="whitespace-pre-wrap">{report.system}</code> : 'none'}
    </span>
  );
}

export function AccuracyRows({
  report,
  testId,
  filter,
  onFilter,
}: {
  report: EvalReport;
  testId: string;
  filter: 'all' | 'differ';
  onFilter: (f: 'all' | 'differ') => void;
}) {
  const rows = filter === 'differ' ? rowsWhereTheyDiffer(report.rows) : report.rows;
  return (
    <div className="flex flex-col gap-2">
      <div className="flex flex-wrap items-center gap-2">
        <label className="flex items-center gap-1 text-xs">
          <input
            type="checkbox"
            checked={filter === 'differ'}
            onChange={(e) => onFilter(e.target.checked ? 'differ' : 'all')}
            data-testid={`${testId}-filter`}
          />
          Only where they differ
        </label>
        <span className="text-xs text-zinc-600 dark:text-zinc-300">
          {rows.length} of {report.rows.length} rows
        </span>
        <span className="ml-auto flex gap-1">
          <Button
            variant="ghost"
            className="px-2 py-1 text-xs"
            onClick={() => downloadReport(report, 'csv')}
            data-testid={`${testId}-csv`}
          >
            CSV
          </Button>
          <Button
            variant="ghost"
            className="px-2 py-1 text-xs"
            onClick={() => downloadReport(report, 'json')}
            data-testid={`${testId}-json`}
          >
            JSON
          </Button>
        </span>
      </div>
      <div className="max-h-96 overflow-auto" tabIndex={0} aria-label="Answers per example">
        <table className="w-full text-xs" data-testid={`${testId}-rows`}>
          <thead>
            <tr className="text-left text-zinc-600 dark:text-zinc-300">
              <th scope="col" className="px-2 py-1 font-medium">
                Prompt
              </th>
              <th scope="col" className="px-2 py-1 font-medium">
                Expected
              </th>
              {report.models.map((m) => (
                <th key={m.key} scope="col" className="px-2 py-1 font-medium">
                  {m.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr
                key={r.id}
                className="border-t border-zinc-100 align-top dark:border-zinc-800"
                data-testid={`${testId}-row`}
                data-id={r.id}
              >
                <td className="max-w-64 px-2 py-1 break-words">{r.prompt}</td>
                <td className="px-2 py-1 font-mono">{r.expected}</td>
                {r.answers.map((a, i) => (
                  <td
                    key={report.models[i]!.key}
                    className="max-w-48 px-2 py-1 break-words"
                    data-correct={a.correct ? '1' : '0'}
                  >
                    <Badge tone={a.correct ? 'green' : 'red'}>
                      {a.correct ? 'right' : 'wrong'}
                    </Badge>{' '}
                    <span className="font-mono" data-testid={`${testId}-answer`}>
                      {a.text}
                    </span>
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

/** Summary and rows with a filter of its own (History's kept reports). */
export function AccuracyReportView({ report, testId }: { report: EvalReport; testId: string }) {
  const [filter, setFilter] = useState<'all' | 'differ'>('all');
  return (
    <div className="flex flex-col gap-3">
      <AccuracySummary report={report} testId={testId} />
      <AccuracyRows report={report} testId={testId} filter={filter} onFilter={setFilter} />
    </div>
  );
}
