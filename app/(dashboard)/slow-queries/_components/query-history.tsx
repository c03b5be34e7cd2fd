import Link from 'next/link'
import { stateDb, targetDb } from '@/lib/db/server-dbs'
import { targetIdentity } from '@/lib/db/target-identity'
import { formatCount, formatMs, formatTimestamp } from '@/lib/format/units'
import { compareQueryPeriods, type PeriodStats, queryStatHistory } from '@/lib/metrics/query-stats-history'
import { QUERY_STATS_TOP } from '@/lib/metrics/query-stats'
import { serverEnv } from '@/lib/runtime/server-env'
import { QueryHistoryChart } from './query-history-chart'
import { changeText, meanText } from './query-history-format'

export const HISTORY_PERIODS = { '1h': 3600_000, '6h': 6 * 3600_000, '24h': 86_400_000, '7d': 7 * 86_400_000 } as const
export type HistoryPeriod = keyof typeof HISTORY_PERIODS

const PERIOD_WORDS: Record<HistoryPeriod, string> = { '1h': 'hour', '6h': '6 hours', '24h': '24 hours', '7d': '7 days' }

function Row({ label, previous, current, change, text }: { label: string; previous: PeriodStats; current: PeriodStats; change: number | null; text: (p: PeriodStats) => string }) {
  return (
    <tr>
      <th scope="row">{label}</th>
      <td className="num">{text(previous)}</td>
      <td className="num">{text(current)}</td>
      <td className="num">{changeText(change)}</td>
    </tr>
  )
}

/**
 * One statement's stored history (lib/metrics/query-stats.ts): calls and mean time over the last
 * two periods, and the last period against the one before it.
 */
export async function QueryHistory({ queryid, period, href }: { queryid: string; period: HistoryPeriod; href: (period: HistoryPeriod | null) => string }) {
  const now = new Date()
  const ms = HISTORY_PERIODS[period]
  const { key } = await targetIdentity(targetDb())
  const [points, c] = await Promise.all([queryStatHistory(stateDb(), key, queryid, new Date(now.getTime() - 2 * ms), now), compareQueryPeriods(stateDb(), key, queryid, ms, now)])
  const days = serverEnv().metrics.METRICS_5M_RETENTION_DAYS
  const words = PERIOD_WORDS[period]
  return (
    <section className="card" aria-labelledby="query-history" data-testid="query-history" data-queryid={queryid}>
      <h2 id="query-history">
        History of statement <code>{queryid}</code>
      </h2>
      <p className="muted">
        The health sampler stores what each statement did every 5 minutes, for the {QUERY_STATS_TOP} costliest of each interval, kept {days} days (METRICS_5M_RETENTION_DAYS). An interval in which
        this statement was not among them, or after a restart or a reset of pg_stat_statements, is a gap. <Link href={href(null)}>Close</Link>
      </p>
      <nav className="range-picker" aria-label="Period">
        {(Object.keys(HISTORY_PERIODS) as HistoryPeriod[]).map((p) => (
          <Link key={p} href={href(p)} aria-current={p === period ? 'page' : undefined} prefetch={false}>
            {p}
          </Link>
        ))}
      </nav>
      {points.length === 0 ? (
        <p data-testid="query-history-empty">Nothing stored for this statement in the last 2 × {words}: the sampler has not read it yet, or it was not among the costliest.</p>
      ) : (
        <QueryHistoryChart points={points} from={now.getTime() - 2 * ms} to={now.getTime()} title={`Calls and mean time over the last 2 × ${words}`} />
      )}
      <table className="data" data-testid="query-history-compare">
        <caption>
          The last {words} compared with the previous {words} ({formatTimestamp(c.previous.from)} to {formatTimestamp(c.current.to)})
        </caption>
        <thead>
          <tr>
            <th scope="col" />
            <th scope="col">Previous {words}</th>
            <th scope="col">Last {words}</th>
            <th scope="col">Change</th>
          </tr>
        </thead>
        <tbody>
          <Row label="Calls" previous={c.previous} current={c.current} change={c.callsChange} text={(p) => formatCount(p.calls)} />
          <Row label="Mean time" previous={c.previous} current={c.current} change={c.meanChange} text={(p) => meanText(p.meanMs)} />
          <Row label="Total time" previous={c.previous} current={c.current} change={c.previous.totalMs > 0 ? c.current.totalMs / c.previous.totalMs : null} text={(p) => formatMs(p.totalMs)} />
          <Row label="Intervals stored" previous={c.previous} current={c.current} change={null} text={(p) => String(p.intervals)} />
        </tbody>
      </table>
    </section>
  )
}
