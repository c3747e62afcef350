/** An Apache ECharts chart drawn with its SVG renderer (crisp, accessible, visible in screenshots). */
import { BarChart, HeatmapChart } from 'echarts/charts';
import {
  AriaComponent,
  GridComponent,
  LegendComponent,
  TooltipComponent,
  VisualMapComponent,
} from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';

echarts.use([
  AriaComponent,
  BarChart,
  GridComponent,
  HeatmapChart,
  LegendComponent,
  SVGRenderer,
  TooltipComponent,
  VisualMapComponent,
]);

export type ChartOption = echarts.EChartsCoreOption;

export function EChart({
  option,
  label,
  height,
  testId,
}: {
  option: ChartOption;
  /** What the chart shows, for screen readers. */
  label: string;
  height: number;
  testId?: string;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);

  useEffect(() => {
    const el = ref.current!;
    const c = echarts.init(el, undefined, { renderer: 'svg' });
    chart.current = c;
    const ro = new ResizeObserver(() => c.resize());
    ro.observe(el);
    return () => {
      ro.disconnect();
      c.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    chart.current?.setOption({ animation: false, aria: { enabled: true }, ...option }, true);
  }, [option]);

  return (
    <div
      ref={ref}
      role="img"
      aria-label={label}
      data-testid={testId}
      data-chart="echarts-svg"
      style={{ height, width: '100%' }}
    />
  );
}
