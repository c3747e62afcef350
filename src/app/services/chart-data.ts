/**
 * The numbers behind each Compare chart as plain tables (header row + rows), shared by the chart
 * options, the table view and the CSV download, so what is drawn is what is listed.
 */
import type { ColumnOutcome } from '../stores/compare';
import { STAGES } from '../worker/protocol';
import { saveBytes } from './save-file';

export interface DataTable {
  /** Column headers; the first names the row labels. */
  header: string[];
  rows: { label: string; values: (number | null)[] }[];
}

/** ‖ΔW‖_F of one adapter: a row per layer, a column per module. */
export function normTable(column: ColumnOutcome): DataTable | null {
  const a = column.analysis;
  if (!a) return null;
  return {
    header: ['layer', ...a.modules],
    rows: a.norms.map((row, l) => ({ label: String(l), values: row })),
  };
}

/** Cosine similarity between the columns' updates. */
export function cosineTable(columns: ColumnOutcome[], matrix: (number | null)[][]): DataTable {
  return {
    header: ['adapter', ...columns.map((c) => c.label)],
    rows: columns.map((c, i) => ({ label: c.label, values: matrix[i] ?? [] })),
  };
}

/** Milliseconds per stage and column. */
export function stageTable(columns: ColumnOutcome[]): DataTable {
  return {
    header: ['adapter', ...STAGES.map((s) => `${s} (ms)`)],
    rows: columns.map((c) => ({
      label: c.label,
      values: STAGES.map((s) => (c.result ? c.result.timings[s] : null)),
    })),
  };
}

const csvCell = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** RFC 4180 CSV; numbers at full precision, empty where there is none. */
export function toCsv(table: DataTable): string {
  const lines = [table.header.map(csvCell).join(',')];
  for (const r of table.rows) {
    lines.push([csvCell(r.label), ...r.values.map((v) => (v === null ? '' : String(v)))].join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

export function downloadCsv(table: DataTable, name: string): void {
  saveBytes(new TextEncoder().encode(toCsv(table)), `${name}.csv`, 'text/csv');
}
