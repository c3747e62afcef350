/** A chart with its numbers one click away: a Table toggle and a CSV download. */
import { useState, type ReactNode } from 'react';
import { downloadCsv, type DataTable } from './chart-data';
import { Button } from '../ui';

function format(v: number | null, digits: number): string {
  if (v === null) return '—';
  return Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3)
    ? v.toExponential(3)
    : v.toFixed(digits);
}

export function NumbersTable({
  table,
  digits,
  testId,
}: {
  table: DataTable;
  digits: number;
  testId: string;
}) {
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-xs tabular-nums" data-testid={testId}>
        <thead>
          <tr className="text-left text-zinc-500 dark:text-zinc-400">
            {table.header.map((h) => (
              <th key={h} scope="col" className="px-2 py-1 font-medium">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {table.rows.map((r) => (
            <tr key={r.label} className="border-t border-zinc-100 dark:border-zinc-800">
              <th scope="row" className="px-2 py-1 text-left font-medium">
                {r.label}
              </th>
              {r.values.map((v, i) => (
                <td key={i} className="px-2 py-1" data-value={v === null ? '' : String(v)}>
                  {format(v, digits)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function ChartCard({
  title,
  note,
  table,
  csvTable,
  csvName,
  digits = 4,
  testId,
  children,
}: {
  title: string;
  note?: ReactNode;
  table: DataTable;
  /** What the CSV holds, when it names things more fully than the table on the page. */
  csvTable?: DataTable | null;
  csvName: string;
  digits?: number;
  testId: string;
  children: ReactNode;
}) {
  const [showTable, setShowTable] = useState(false);
  return (
    <figure
      className="flex min-w-0 flex-col gap-2 rounded-xl border border-zinc-200 bg-white p-3 dark:border-zinc-800 dark:bg-zinc-900"
      data-testid={testId}
    >
      <div className="flex flex-wrap items-center justify-between gap-2">
        <figcaption className="text-sm font-semibold">{title}</figcaption>
        <div className="flex gap-1">
          <Button
            variant="ghost"
            className="px-2 py-1 text-xs"
            aria-pressed={showTable}
            onClick={() => setShowTable((v) => !v)}
            data-testid={`${testId}-table-toggle`}
          >
            {showTable ? 'Chart' : 'Table'}
          </Button>
          <Button
            variant="ghost"
            className="px-2 py-1 text-xs"
            onClick={() => downloadCsv(csvTable ?? table, csvName)}
            data-testid={`${testId}-csv`}
          >
            CSV
          </Button>
        </div>
      </div>
      {note && <p className="text-xs text-zinc-500 dark:text-zinc-400">{note}</p>}
      <div className={showTable ? 'hidden' : undefined}>{children}</div>
      {showTable && <NumbersTable table={table} digits={digits} testId={`${testId}-table`} />}
    </figure>
  );
}
