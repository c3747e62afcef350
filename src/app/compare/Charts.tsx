/** The Compare charts: ‖ΔW‖_F per layer and module, cosine similarities, and time per stage. */
import { useMemo } from 'react';
import {
  cosineCsvTable,
  cosineScale,
  cosineTable,
  normCsvTable,
  normTable,
  stageCsvTable,
  stageTable,
} from '../shared/charts/chart-data';
import { slug } from '../shared/download-names';
import type { ColumnOutcome } from '../shared/compare-store';
import { STAGES } from '../worker/protocol';
import { STAGE_LABEL } from '../shared/labels';
import { ChartCard } from '../shared/charts/ChartCard';
import type { ChartOption } from '../shared/charts/EChart';
import { LazyEChart } from '../shared/charts/LazyEChart';

const TEXT = '#71717a';

/**
 * Space under a heatmap's plot for its x-axis labels and, below them, the colour scale: a
 * horizontal bar at the bottom whose handle numbers are drawn above it. With less, those numbers
 * printed over the axis labels.
 */
const SCALE_BAND = 96;

export function NormHeatmap({ column, index }: { column: ColumnOutcome; index: number }) {
  const table = useMemo(() => normTable(column), [column]);
  const option = useMemo<ChartOption | null>(() => {
    if (!table) return null;
    const modules = table.header.slice(1);
    const values = table.rows.flatMap((r) => r.values.map((v) => v ?? 0));
    return {
      tooltip: { position: 'top' },
      grid: { left: 56, right: 12, top: 8, bottom: SCALE_BAND },
      xAxis: {
        type: 'category',
        data: modules,
        axisLabel: { color: TEXT },
        splitArea: { show: true },
      },
      yAxis: {
        type: 'category',
        data: table.rows.map((r) => `layer ${r.label}`),
        axisLabel: { color: TEXT },
        splitArea: { show: true },
      },
      visualMap: {
        min: Math.min(...values),
        max: Math.max(...values),
        calculable: true,
        precision: 3,
        orient: 'horizontal',
        left: 'center',
        bottom: 4,
        itemHeight: 80,
        textStyle: { color: TEXT },
        inRange: { color: ['#eef2ff', '#818cf8', '#312e81'] },
      },
      series: [
        {
          name: '‖ΔW‖_F',
          type: 'heatmap',
          data: table.rows.flatMap((r, y) => r.values.map((v, x) => [x, y, v ?? 0])),
          label: {
            show: true,
            formatter: (p: { value: number[] }) => p.value[2]!.toPrecision(3),
            fontSize: 10,
          },
        },
      ],
    };
  }, [table]);
  if (!table || !option) return null;
  const rows = table.rows.length;
  return (
    <ChartCard
      title={`‖ΔW‖_F per layer · ${column.label}`}
      table={table}
      csvTable={normCsvTable(column)}
      csvName={`delta-w-norms-${index + 1}-${slug(column.description, 32)}`}
      digits={5}
      testId={`chart-norms-${index}`}
    >
      <LazyEChart
        option={option}
        label={`Heatmap of the Frobenius norm of each layer's update for ${column.label}`}
        height={Math.min(552, SCALE_BAND + 26 + rows * 26)}
        testId={`chart-norms-${index}-canvas`}
      />
    </ChartCard>
  );
}

export function CosineMatrix({
  columns,
  matrix,
}: {
  columns: ColumnOutcome[];
  matrix: (number | null)[][];
}) {
  const table = useMemo(() => cosineTable(columns, matrix), [columns, matrix]);
  const option = useMemo<ChartOption>(() => {
    const labels = columns.map((c) => c.label);
    return {
      tooltip: { position: 'top' },
      grid: { left: 150, right: 12, top: 8, bottom: SCALE_BAND },
      xAxis: {
        type: 'category',
        data: labels,
        axisLabel: { color: TEXT, formatter: (v: string) => v.split(' · ')[0] },
      },
      yAxis: { type: 'category', data: labels, axisLabel: { color: TEXT }, inverse: true },
      visualMap: {
        // The scale spans the values shown, so 0.989 and 1.000 differ in colour; numbers at its ends.
        ...cosineScale(matrix),
        calculable: true,
        precision: 3,
        orient: 'horizontal',
        left: 'center',
        bottom: 4,
        itemHeight: 120,
        textStyle: { color: TEXT },
        inRange: { color: ['#b91c1c', '#f4f4f5', '#4338ca'] },
      },
      series: [
        {
          name: 'cosine similarity',
          type: 'heatmap',
          data: matrix.flatMap((row, y) =>
            row.map((v, x) => [x, y, v === null ? '-' : v] as [number, number, number | string]),
          ),
          label: {
            show: true,
            formatter: (p: { value: (number | string)[] }) =>
              typeof p.value[2] === 'number' ? p.value[2].toFixed(3) : '—',
          },
        },
      ],
    };
  }, [columns, matrix]);
  return (
    <ChartCard
      title="Cosine similarity of the updates ΔW"
      note="All layers and modules as one vector; 1 on the diagonal. Computed from r×r traces, without forming ΔW."
      table={table}
      csvTable={cosineCsvTable(columns, matrix)}
      csvName="cosine-similarity"
      digits={6}
      testId="chart-cosine"
    >
      <LazyEChart
        option={option}
        label="Matrix of cosine similarities between the adapters"
        height={Math.max(252, SCALE_BAND + 46 + columns.length * 40)}
        testId="chart-cosine-canvas"
      />
    </ChartCard>
  );
}

const STAGE_COLORS = ['#0ea5e9', '#8b5cf6', '#6366f1', '#10b981'];

export function StageBars({ columns }: { columns: ColumnOutcome[] }) {
  const table = useMemo(() => stageTable(columns), [columns]);
  const option = useMemo<ChartOption>(
    () => ({
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      legend: { top: 0, textStyle: { color: TEXT } },
      grid: { left: 150, right: 24, top: 32, bottom: 48 },
      // The unit under the tick labels: at the axis's end it printed over the last one.
      xAxis: {
        type: 'value',
        name: 'ms',
        nameLocation: 'middle',
        nameGap: 28,
        nameTextStyle: { color: TEXT },
        axisLabel: { color: TEXT },
      },
      yAxis: {
        type: 'category',
        data: columns.map((c) => c.label),
        axisLabel: { color: TEXT },
        inverse: true,
      },
      series: STAGES.map((s, k) => ({
        name: STAGE_LABEL[s],
        type: 'bar',
        stack: 'time',
        itemStyle: { color: STAGE_COLORS[k] },
        data: columns.map((c) => (c.result ? Math.round(c.result.timings[s] * 10) / 10 : 0)),
      })),
    }),
    [columns],
  );
  return (
    <ChartCard
      title="Time per stage"
      note="The first column also pays for loading; later ones find models and encoder in memory."
      table={table}
      csvTable={stageCsvTable(columns)}
      csvName="stage-times"
      digits={1}
      testId="chart-stages"
    >
      <LazyEChart
        option={option}
        label="Bar chart of the time each stage took, per adapter"
        height={Math.max(180, 90 + columns.length * 34)}
        testId="chart-stages-canvas"
      />
    </ChartCard>
  );
}
