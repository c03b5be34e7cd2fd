import { formatTimestamp } from '@/lib/format/units'

export interface TrendPoint {
  runId: number
  at: Date
  count: number | null
}

/**
 * A check's count over the last runs, oldest left, as a tiny line. Runs where the check failed
 * (count NULL) break the line. Red when the newest count is above 0.
 */
export function Sparkline({ points, width = 84, height = 20 }: { points: TrendPoint[]; width?: number; height?: number }) {
  const counts = points.map((p) => p.count)
  const known = counts.filter((c): c is number => c !== null)
  if (known.length === 0) return <span className="muted">–</span>
  const max = Math.max(...known, 1)
  const step = points.length > 1 ? (width - 4) / (points.length - 1) : 0
  const x = (i: number) => 2 + i * step
  const y = (c: number) => height - 2 - (c / max) * (height - 4)
  // One polyline per unbroken stretch of known counts.
  const stretches: [number, number][][] = [[]]
  counts.forEach((c, i) => {
    if (c === null) stretches.push([])
    else stretches[stretches.length - 1].push([x(i), y(c)])
  })
  const last = counts[counts.length - 1]
  const tone = last === null ? 'error' : last > 0 ? 'bad' : 'ok'
  const label = `Last ${points.length} run${points.length === 1 ? '' : 's'}: ${counts.map((c) => (c === null ? 'error' : c)).join(', ')}`
  return (
    <svg className={`sparkline ${tone}`} width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label}>
      <title>{`${label} (from ${formatTimestamp(points[0].at)})`}</title>
      {stretches
        .filter((r) => r.length > 0)
        .map((r, i) =>
          r.length === 1 ? (
            <circle key={i} cx={r[0][0]} cy={r[0][1]} r={1.8} />
          ) : (
            <polyline key={i} points={r.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(' ')} fill="none" />
          ),
        )}
      {last !== null ? <circle className="sparkline-last" cx={x(counts.length - 1)} cy={y(last)} r={2.2} /> : null}
    </svg>
  )
}

/** Users per role as horizontal bars, in the order given (most users first). */
export function RoleChart({ counts }: { counts: { role: string | null; users: number }[] }) {
  if (counts.length === 0) return <p className="muted">No users.</p>
  const rowHeight = 22
  const labelWidth = 110
  const barWidth = 260
  const max = Math.max(...counts.map((c) => c.users), 1)
  const height = counts.length * rowHeight + 4
  return (
    <svg
      className="role-chart"
      width={labelWidth + barWidth + 50}
      height={height}
      viewBox={`0 0 ${labelWidth + barWidth + 50} ${height}`}
      role="img"
      aria-label={`Users per role: ${counts.map((c) => `${c.role ?? 'NULL'} ${c.users}`).join(', ')}`}
      data-testid="role-chart"
    >
      {counts.map((c, i) => {
        const w = Math.max((c.users / max) * barWidth, 1)
        const top = 2 + i * rowHeight
        return (
          <g key={`${c.role}-${i}`}>
            <text x={labelWidth - 8} y={top + 14} textAnchor="end" className="role-chart-label">
              {c.role ?? 'NULL'}
            </text>
            <rect x={labelWidth} y={top + 3} width={w} height={rowHeight - 8} rx={2} className="role-chart-bar" />
            <text x={labelWidth + w + 6} y={top + 14} className="role-chart-value">
              {c.users}
            </text>
          </g>
        )
      })}
    </svg>
  )
}
