/**
 * Accuracy per configuration with its 95% interval drawn: a bar per model (the base first) and a
 * thin bar over it from the interval's low to its high end; Table and CSV as the other charts.
 */
import { useMemo } from 'react';
import { accuracyTable, type EvalReport } from './accuracy-report';
import { ChartCard } from '../shared/charts/ChartCard';
import type { ChartOption } from '../shared/charts/EChart';
import { LazyEChart } from '../shared/charts/LazyEChart';

const TEXT = '#71717a';

export function AccuracyChart({ report }: { report: EvalReport }) {
  const table = useMemo(() => accuracyTable(report), [report]);
  const option = useMemo<ChartOption>(() => {
    const labels = table.rows.map((r) => r.label);
    const pct = (v: number | null) => (v === null ? 0 : Math.round(v * 1000) / 10);
    return {
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      grid: { left: 150, right: 24, top: 8, bottom: 28 },
      xAxis: { type: 'value', min: 0, max: 100, name: '%', axisLabel: { color: TEXT } },
      yAxis: { type: 'category', data: labels, axisLabel: { color: TEXT }, inverse: true },
      series: [
        {
          name: 'accuracy (%)',
          type: 'bar',
          itemStyle: { color: '#818cf8' },
          barWidth: 18,
          data: table.rows.map((r) => pct(r.values[0]!)),
        },
        // The interval: an invisible bar up to its low end, then a thin dark one to its high end.
        {
          name: 'interval low',
          type: 'bar',
          stack: 'interval',
          barGap: '-100%',
          barWidth: 4,
          itemStyle: { color: 'transparent' },
          tooltip: { show: false },
          data: table.rows.map((r) => pct(r.values[1]!)),
        },
        {
          name: '95% interval (%)',
          type: 'bar',
          stack: 'interval',
          barWidth: 4,
          itemStyle: { color: '#1e1b4b' },
          data: table.rows.map(
            (r) => Math.round((pct(r.values[2]!) - pct(r.values[1]!)) * 10) / 10,
          ),
        },
      ],
    };
  }, [table]);
  return (
    <ChartCard
      title="Accuracy with its 95% interval"
      note={`${report.set.name} · ${report.rows.length} of ${report.set.total} examples · every column on the same examples`}
      table={table}
      csvName="accuracy"
      digits={3}
      testId="chart-accuracy"
    >
      <LazyEChart
        option={option}
        label="Bar chart of each configuration's accuracy with its 95% interval"
        height={Math.max(140, 60 + table.rows.length * 34)}
        testId="chart-accuracy-canvas"
      />
    </ChartCard>
  );
}
