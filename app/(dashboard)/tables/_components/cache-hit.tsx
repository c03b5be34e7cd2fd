import { ThresholdNote } from '@/components/threshold-note'
import type { CacheHitRatios } from '@/lib/performance/tables'
import { THRESHOLDS } from '@/lib/performance/thresholds'

const percent = (r: number | null) => (r === null ? '–' : `${(Math.floor(r * 1000) / 10).toFixed(1)} %`)

/**
 * pghero's cache hit check: the share of block reads served from shared_buffers, for this
 * database, its tables and its indexes, with what to do when one is below the threshold.
 */
export function CacheHit({ ratios }: { ratios: CacheHitRatios }) {
  const parts = [
    { key: 'database', label: 'Database', value: ratios.database },
    { key: 'tables', label: 'Tables', value: ratios.tables },
    { key: 'indexes', label: 'Indexes', value: ratios.indexes },
  ]
  const low = parts.filter((p) => p.value !== null && p.value < ratios.threshold)
  return (
    <div className="card" data-testid="cache-hit">
      <h2>Cache hit ratio</h2>
      <div className="grid">
        {parts.map((p) => (
          <div key={p.key} data-part={p.key} data-low={low.includes(p) ? 'true' : 'false'}>
            <div className="stat-label">{p.label}</div>
            <div className="stat">{percent(p.value)}</div>
          </div>
        ))}
      </div>
      <p className="muted small">
        Block reads served from shared_buffers since the statistics reset (– before any block was read).
        <ThresholdNote threshold={THRESHOLDS.cacheHitRatio} />
      </p>
      {low.length ? (
        <div className="banner warn" data-testid="cache-hit-advice">
          {low.map((p) => p.label.toLowerCase()).join(', ')} below {percent(ratios.threshold)}: the data read often does not
          fit in shared_buffers, so reads go to the operating system or disk. Raise shared_buffers (see Settings; a restart is
          needed) or give the server more memory; a burst of sequential scans (a report, a dump) can also lower it for a while.
        </div>
      ) : null}
    </div>
  )
}
