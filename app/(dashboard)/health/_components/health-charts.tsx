'use client'

import { useMemo } from 'react'
import { CartesianGrid, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import { AXIS_STYLE, lineProps, TOOLTIP_STYLE } from '@/components/chart-style'
import { useLiveJson } from '@/components/use-live-json'
import type { Json } from '@/lib/format/json-value'
import { formatTimestamp } from '@/lib/format/units'
import type { HealthView } from '@/lib/metrics/health-view'
import { CHARTS, type ChartSpec, formatValue, summarise } from './chart-specs'

type View = Json<HealthView>
type Row = { t: number } & Record<string, number | null>

const RANGE_WORDS: Record<string, string> = { '1h': 'hour', '6h': '6 hours', '24h': '24 hours', '7d': '7 days', '30d': '30 days', '1y': 'year' }

/** Time ticks in UTC, as the rest of the dashboard shows times; short ranges show the clock, long ones the date. */
function tickFormat(range: string) {
  return (t: number) => {
    const iso = new Date(t).toISOString()
    if (range === '1y') return iso.slice(0, 7)
    if (range === '7d' || range === '30d') return iso.slice(5, 10)
    return iso.slice(11, 16)
  }
}

/** What the drawn points are: the samples themselves, or each span's lowest and highest (so no spike is hidden). */
function pointsNote({ times, sourcePoints, resolution }: View['series']): string {
  const from = resolution === 'raw' ? 'samples' : `${resolution} aggregates`
  if (resolution === 'raw' && times.length === sourcePoints) return `${times.length} points at full resolution`
  return `${times.length} points from ${sourcePoints} ${from}, each span drawn as its lowest and highest value`
}

function Summary({ spec, view }: { spec: ChartSpec; view: View }) {
  const parts = spec.lines.flatMap((l) => {
    const s = summarise(view.series.values[l.metric] ?? [])
    return s ? [`${l.label}: latest ${formatValue(s.latest, spec.unit)}, min ${formatValue(s.min, spec.unit)}, max ${formatValue(s.max, spec.unit)}`] : []
  })
  return <p className="chart-summary">{parts.length ? `${parts.join('; ')}.` : spec.whenEmpty}</p>
}

function Chart({ spec, view, rows }: { spec: ChartSpec; view: View; rows: Row[] }) {
  const from = Date.parse(view.series.from)
  const to = Date.parse(view.series.to)
  const fmt = tickFormat(view.series.range)
  const titleId = `chart-${spec.id}`
  return (
    <figure className="card health-chart" aria-labelledby={titleId} data-testid={`chart-${spec.id}`}>
      <h2 id={titleId}>{spec.title}</h2>
      <div className="health-chart-plot" role="img" aria-label={`${spec.title} over the last ${RANGE_WORDS[view.series.range] ?? view.series.range}: the summary below gives the values.`}>
        <ResponsiveContainer width="100%" height={200}>
          <LineChart data={rows} margin={{ top: 8, right: 12, bottom: 0, left: 0 }} accessibilityLayer={false}>
            <CartesianGrid stroke="var(--line)" strokeDasharray="3 3" />
            <XAxis dataKey="t" type="number" scale="time" domain={[from, to]} tickFormatter={fmt} {...AXIS_STYLE} />
            <YAxis width={72} tickFormatter={(v: number) => formatValue(v, spec.unit)} {...AXIS_STYLE} domain={spec.unit === 'ratio' ? ['auto', 1] : [0, 'auto']} />
            <Tooltip
              labelFormatter={(t) => formatTimestamp(new Date(Number(t)))}
              formatter={(v, name) => [v === null || v === undefined ? 'no value' : formatValue(Number(v), spec.unit), name]}
              contentStyle={TOOLTIP_STYLE}
            />
            {view.events.map((e, i) => (
              <ReferenceLine key={i} x={Date.parse(e.at)} stroke={e.bad ? 'var(--bad)' : 'var(--soft)'} strokeDasharray="2 3" ifOverflow="hidden" />
            ))}
            {spec.lines.map((l) => (
              <Line key={l.metric} {...lineProps({ dataKey: l.metric, name: l.label, colour: l.colour, dashed: l.dashed, points: rows.length })} />
            ))}
          </LineChart>
        </ResponsiveContainer>
      </div>
      <ul className="chart-legend" aria-hidden="true">
        {spec.lines.map((l) => (
          <li key={l.metric}>
            <span className="chart-key" style={{ background: l.colour }} />
            {l.label}
          </li>
        ))}
      </ul>
      <Summary spec={spec} view={view} />
    </figure>
  )
}

/**
 * The Health page's charts for one range: rows built once from the server's columns, every chart
 * on the same time axis, the events as vertical markers. The range is polled while the page is visible.
 */
export function HealthCharts({ initial, refreshMs }: { initial: View; refreshMs: number }) {
  const { data: view, error } = useLiveJson<View>(`/api/health/series?range=${initial.series.range}`, initial, refreshMs)
  // Each chart gets rows of its own lines only: recharts walks every row of every line's data.
  const rows = useMemo(
    () =>
      Object.fromEntries(
        CHARTS.map((spec) => [
          spec.id,
          view.series.times.map((t, i) => {
            const row: Row = { t }
            for (const l of spec.lines) row[l.metric] = view.series.values[l.metric][i]
            return row
          }),
        ]),
      ),
    [view],
  )
  return (
    <>
      {error ? (
        <div className="banner bad" role="alert">
          The charts could not be refreshed: {error.message}
        </div>
      ) : null}
      <p className="muted" data-testid="health-latest">
        Newest sample {formatTimestamp(view.latestAt)}; {pointsNote(view.series)}.
      </p>
      <div className="health-grid">
        {CHARTS.map((spec) => (
          <div key={spec.id}>
            <Chart spec={spec} view={view} rows={rows[spec.id]} />
            {spec.id === 'size' ? (
              <p className="chart-note" data-testid="storage-forecast">
                {view.forecast.message}
              </p>
            ) : null}
            {spec.id === 'longest' && view.latestQuery && view.latestQuery.seconds >= 1 ? (
              <p className="chart-note">
                Now: pid {view.latestQuery.pid}, {formatValue(view.latestQuery.seconds, 'seconds')}
                {view.latestQuery.query ? <code className="chart-query">{view.latestQuery.query}</code> : null}
              </p>
            ) : null}
          </div>
        ))}
      </div>
      <section className="card" aria-labelledby="health-events">
        <h2 id="health-events">Events in this range</h2>
        {view.events.length === 0 ? (
          <p className="muted">No migration, fix, backup or alert in this range.</p>
        ) : (
          <ul className="health-events" data-testid="health-events">
            {view.events.map((e, i) => (
              <li key={i} className={e.bad ? 'bad' : undefined}>
                <time dateTime={e.at}>{formatTimestamp(e.at)}</time> {e.label}
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  )
}
