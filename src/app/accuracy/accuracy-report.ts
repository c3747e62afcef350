/**
 * What an accuracy run leaves: the models scored, one row per example (each model's answer and
 * whether it matched) and per-model summaries, as the page shows, downloads and keeps it in
 * History. The numbers in it come from the core (src/core/eval, through accuracy-core.ts); this
 * file only lays them out: the "where they differ" filter and the CSV and JSON files.
 */
import { saveBytes } from '../shared/save-file';
import { slug } from '../shared/download-names';
import type { DataTable } from '../shared/charts/chart-data';
import type { EvalReport, EvalRow } from '../shared/storage/eval-report';

export type {
  EvalAnswer,
  EvalModel,
  EvalModelSummary,
  EvalReport,
  EvalRow,
} from '../shared/storage/eval-report';

/** Rows where not every model got the same verdict (right or wrong). */
export function rowsWhereTheyDiffer(rows: EvalRow[]): EvalRow[] {
  return rows.filter((r) => new Set(r.answers.map((a) => a.correct)).size > 1);
}

const csvCell = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/**
 * The per-example table as RFC 4180 CSV: id, prompt, expected, then for each model (in the
 * report's order) its answer and 1/0 for right/wrong, headed "<label> answer", "<label> correct",
 * then the template and system message every row was asked with (empty: the defaults), so that
 * the file says how its prompts were made.
 */
export function reportCsv(report: EvalReport): string {
  const header = [
    'id',
    'prompt',
    'expected',
    ...report.models.flatMap((m) => [`${m.label} answer`, `${m.label} correct`]),
    'template',
    'system',
  ];
  const lines = [header.map(csvCell).join(',')];
  for (const r of report.rows) {
    const cells = [
      r.id,
      r.prompt,
      r.expected,
      ...r.answers.flatMap((a) => [a.text, a.correct ? '1' : '0']),
      report.template ?? '',
      report.system ?? '',
    ];
    lines.push(cells.map(csvCell).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** The whole report as JSON (models, summaries with intervals and p-values, every row). */
export function reportJson(report: EvalReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

function fileStem(report: EvalReport): string {
  return `t2l-accuracy-${slug(report.set.name, 40)}-${new Date(report.at).toISOString().slice(0, 19).replace(/[:T]/g, '')}`;
}

export function downloadReport(report: EvalReport, format: 'csv' | 'json'): void {
  const text = format === 'csv' ? reportCsv(report) : reportJson(report);
  saveBytes(
    new TextEncoder().encode(text),
    `${fileStem(report)}.${format}`,
    format === 'csv' ? 'text/csv' : 'application/json',
  );
}

/** "62.0 %" from a proportion. */
export function percent(p: number, digits = 1): string {
  return `${(p * 100).toFixed(digits)} %`;
}

/** A p-value as people read it: "p = 0.031", "p < 0.001". */
export function formatP(p: number): string {
  return p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(3)}`;
}

/**
 * Compare's Accuracy chart and its Table and CSV: a row per model, accuracy and the Wilson 95%
 * interval as proportions, with the counts they come from.
 */
export function accuracyTable(report: EvalReport): DataTable {
  return {
    header: ['model', 'accuracy', 'low (95%)', 'high (95%)', 'correct', 'examples'],
    rows: report.models.map((m, i) => {
      const s = report.summaries[i];
      return {
        label: m.label,
        values: s ? [s.accuracy, s.low, s.high, s.correct, s.n] : [null, null, null, null, null],
      };
    }),
  };
}
