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
