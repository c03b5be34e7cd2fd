'use client'

import Link from 'next/link'
import { Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import { lineProps, TOOLTIP_STYLE } from '@/components/chart-style'
import { formatValue } from '@/lib/format/metric-value'
import { formatTimestamp } from '@/lib/format/units'
import { DAY_CHARTS } from './day-chart-specs'

export interface DaySeries {
  times: number[]
  from: string
  to: string
  values: Record<string, (number | null)[]>
}

/** Four small line charts of the last 24 h on the Overview, each linking to the Health page. */
export function DayChartsPlot({ series }: { series: DaySeries }) {
  const rows = series.times.map((t, i) => ({ t, ...Object.fromEntries(DAY_CHARTS.map((c) => [c.metric, series.values[c.metric]?.[i] ?? null])) }))
  const domain = [Date.parse(series.from), Date.parse(series.to)]
  return (
    <section className="card" aria-labelledby="day-charts-heading" data-testid="day-charts" style={{ marginBottom: 20 }}>
      <h2 id="day-charts-heading">The last 24 hours</h2>
      {/* On its own line: inside the heading's text, axe wants a link told apart by more than colour. */}
      <div className="day-charts-more">
        <Link href="/health?range=24h">All health charts</Link>
      </div>
      <div className="day-charts">
        {DAY_CHARTS.map((c) => {
          const latest = [...(series.values[c.metric] ?? [])].reverse().find((v) => v !== null)
          return (
            <figure key={c.metric} className="day-chart" data-testid={`day-chart-${c.metric}`}>
              <figcaption>
                {c.title}: <strong>{latest === undefined || latest === null ? 'no value' : formatValue(latest, c.unit)}</strong>
              </figcaption>
              <div role="img" aria-label={`${c.title} over the last 24 hours; latest ${latest == null ? 'unknown' : formatValue(latest, c.unit)}.`}>
                <ResponsiveContainer width="100%" height={80}>
                  <LineChart data={rows} margin={{ top: 4, right: 4, bottom: 0, left: 0 }} accessibilityLayer={false}>
                    <XAxis dataKey="t" type="number" scale="time" domain={domain} hide />
                    <YAxis hide domain={c.unit === 'ratio' ? ['auto', 1] : [0, 'auto']} />
                    <Tooltip
                      labelFormatter={(t) => formatTimestamp(new Date(Number(t)))}
                      formatter={(v) => [v === null || v === undefined ? 'no value' : formatValue(Number(v), c.unit), c.title]}
                      contentStyle={TOOLTIP_STYLE}
                    />
                    <Line {...lineProps({ dataKey: c.metric, colour: 'var(--accent)', points: rows.length, small: true })} />
                  </LineChart>
                </ResponsiveContainer>
              </div>
            </figure>
          )
        })}
      </div>
    </section>
  )
}
