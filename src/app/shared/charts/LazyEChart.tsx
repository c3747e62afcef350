/**
 * EChart, loaded when a chart first shows: ECharts is most of the app's JavaScript, and only the
 * Compare view draws charts, so the Generate view's first load does not wait for it.
 */
import { lazy, Suspense, type ComponentProps } from 'react';

const EChart = lazy(() => import('./EChart').then((m) => ({ default: m.EChart })));

export function LazyEChart(props: ComponentProps<typeof EChart>) {
  return (
    <Suspense
      fallback={
        <div
          aria-busy="true"
          className="animate-pulse rounded-md bg-zinc-100 dark:bg-zinc-900"
          style={{ height: props.height, width: '100%' }}
        />
      }
    >
      <EChart {...props} />
    </Suspense>
  );
}
