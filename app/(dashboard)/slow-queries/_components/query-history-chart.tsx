'use client'

import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import { AXIS_STYLE, lineProps, TOOLTIP_STYLE } from '@/components/chart-style'
import { formatTimestamp } from '@/lib/format/units'
import type { QueryStatPoint } from '@/lib/metrics/query-stats-history'
import { meanText } from './query-history-format'

const LINES = [
  { key: 'callsPerMinute', label: 'calls per minute', colour: 'var(--accent)', axis: 'calls' },
  { key: 'meanMs', label: 'mean time', colour: 'var(--warn-fill)', axis: 'mean' },
] as const

/** Calls and mean time of one statement per stored interval, on the Health charts' conventions (UTC ticks, a gap where nothing was stored). */
export function QueryHistoryChart({ points, from, to, title }: { points: QueryStatPoint[]; from: number; to: number; title: string }) {
  const long = to - from > 2 * 86_400_000
  const tick = (t: number) => (long ? new Date(t).toISOString().slice(5, 10) : new Date(t).toISOString().slice(11, 16))
  return (
    <figure className="card health-chart" aria-labelledby="query-history-title" data-testid="query-history-chart">
      <h2 id="query-history-title">{title}</h2>
      <div className="health-chart-plot" role="img" aria-label={`${title}: the table below gives the numbers.`}>
        <ResponsiveContainer width="100%" height={220}>
          <LineChart data={points} margin={{ top: 8, right: 12, bottom: 0, left: 0 }} accessibilityLayer={false}>
            <CartesianGrid stroke="var(--line)" strokeDasharray="3 3" />
            <XAxis dataKey="t" type="number" scale="time" domain={[from, to]} tickFormatter={tick} {...AXIS_STYLE} />
            <YAxis yAxisId="calls" width={60} domain={[0, 'auto']} tickFormatter={(v: number) => v.toFixed(v < 10 ? 1 : 0)} {...AXIS_STYLE} />
            <YAxis yAxisId="mean" orientation="right" width={72} domain={[0, 'auto']} tickFormatter={(v: number) => meanText(v)} {...AXIS_STYLE} />
            <Tooltip
              labelFormatter={(t) => formatTimestamp(new Date(Number(t)))}
              formatter={(v, name) => [name === 'mean time' ? meanText(Number(v)) : Number(v).toFixed(2), name]}
              contentStyle={TOOLTIP_STYLE}
            />
            {LINES.map((l) => (
              <Line key={l.key} {...lineProps({ dataKey: l.key, name: l.label, colour: l.colour, yAxisId: l.axis, points: points.length })} />
            ))}
          </LineChart>
        </ResponsiveContainer>
      </div>
      <ul className="chart-legend" aria-hidden="true">
        {LINES.map((l) => (
          <li key={l.key}>
            <span className="chart-key" style={{ background: l.colour }} />
            {l.label} ({l.axis === 'calls' ? 'left' : 'right'} axis)
          </li>
        ))}
      </ul>
    </figure>
  )
}
