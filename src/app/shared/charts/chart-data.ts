/**
 * The numbers behind each Compare chart as plain tables (header row + rows), shared by the chart
 * options, the table view and the CSV download, so what is drawn is what is listed.
 */
import type { ColumnOutcome } from '../compare-store';
import { STAGES } from '../../worker/protocol';
import { saveBytes } from '../save-file';

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

/**
 * The colour scale of the cosine heatmap: from the smallest to the largest value shown (the
 * diagonal's 1 included), widened a little when all values are equal, within [-1, 1].
 */
export function cosineScale(matrix: (number | null)[][]): { min: number; max: number } {
  const values = matrix.flat().filter((v): v is number => v !== null);
  if (values.length === 0) return { min: -1, max: 1 };
  let min = Math.min(...values);
  let max = Math.max(...values);
  if (max - min < 1e-6) {
    min -= 1e-3;
    max += 1e-3;
  }
  return { min: Math.max(-1, min), max: Math.min(1, max) };
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

/**
 * A column's full name for CSV files, which leave the page: its label, what differs (model,
 * backend, precision that ran) and the whole description, blend included.
 */
export function columnFullName(c: ColumnOutcome): string {
  const what = c.blend
    ? `${Math.round((1 - c.blend.weight) * 100)}% “${c.description}” + ${Math.round(c.blend.weight * 100)}% “${c.blend.with}”`
    : `“${c.description}”`;
  return c.caption === c.description || c.blend
    ? `${c.label}: ${what}`
    : `${c.label}: ${c.caption}: ${what}`;
}

/** The cosine table with full names in its header and row labels, for the CSV download. */
export function cosineCsvTable(columns: ColumnOutcome[], matrix: (number | null)[][]): DataTable {
  const t = cosineTable(columns, matrix);
  return {
    header: ['adapter', ...columns.map(columnFullName)],
    rows: t.rows.map((r, i) => ({ ...r, label: columnFullName(columns[i]!) })),
  };
}

/** The stage table with full row names, for the CSV download. */
export function stageCsvTable(columns: ColumnOutcome[]): DataTable {
  const t = stageTable(columns);
  return { ...t, rows: t.rows.map((r, i) => ({ ...r, label: columnFullName(columns[i]!) })) };
}

/** The ‖ΔW‖_F table with the adapter it belongs to in its first header cell, for the CSV. */
export function normCsvTable(column: ColumnOutcome): DataTable | null {
  const t = normTable(column);
  if (!t) return null;
  return { ...t, header: [`layer (‖ΔW‖_F of ${columnFullName(column)})`, ...t.header.slice(1)] };
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
