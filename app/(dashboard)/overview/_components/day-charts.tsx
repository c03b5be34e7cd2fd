import Link from 'next/link'
import { WidgetError } from '@/components/widget-error'
import { toJson } from '@/lib/format/json-value'
import type { HealthView } from '@/lib/metrics/health-view'
import { serverHealthView } from '@/lib/metrics/server-health-view'
import { DAY_CHARTS } from './day-chart-specs'
import { DayChartsPlot } from './day-charts-plot'

/** The last 24 h of four health series, small: the Health page has the rest. */
export async function DayCharts() {
  let view: HealthView
  try {
    view = await serverHealthView('24h')
  } catch (e) {
    return <WidgetError title="The last 24 hours" error={e} />
  }
  if (view.latestAt === null) {
    return (
      <section className="card" data-testid="day-charts">
        <h2>The last 24 hours</h2>
        <p className="muted">
          No health samples yet: the health sampler job takes them (see <Link href="/health">Health</Link>).
        </p>
      </section>
    )
  }
  // Only the four series drawn here go to the browser, not the Health page's 22.
  const series = { times: view.series.times, from: view.series.from, to: view.series.to, values: Object.fromEntries(DAY_CHARTS.map((c) => [c.metric, view.series.values[c.metric]])) }
  return <DayChartsPlot series={toJson(series)} />
}
