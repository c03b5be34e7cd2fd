import Link from 'next/link'
import { requireUser } from '@/lib/auth/current-user'
import { stateDb, targetDb } from '@/lib/db/server-dbs'
import { targetIdentity } from '@/lib/db/target-identity'
import { toJson } from '@/lib/format/json-value'
import { configuredSchedules } from '@/lib/jobs/schedule-config'
import { listSchedules } from '@/lib/jobs/schedules'
import { HEALTH_RANGES } from '@/lib/metrics/health-view'
import { metricsSampleJob } from '@/lib/metrics/sampler-job'
import { isSeriesRange, type SeriesRange } from '@/lib/metrics/series'
import { serverHealthView } from '@/lib/metrics/server-health-view'
import { serverEnv } from '@/lib/runtime/server-env'
import { HealthCharts } from './_components/health-charts'

const LABELS: Record<SeriesRange, string> = { '1h': '1 h', '6h': '6 h', '24h': '24 h', '7d': '7 d', '30d': '30 d', '1y': '1 y' }

function RangePicker({ current }: { current: SeriesRange }) {
  return (
    <nav className="range-picker" aria-label="Time range">
      {HEALTH_RANGES.map((r) => (
        <Link key={r} href={`/health?range=${r}`} aria-current={r === current ? 'page' : undefined} prefetch={false}>
          {LABELS[r]}
        </Link>
      ))}
    </nav>
  )
}

export default async function HealthPage({ searchParams }: { searchParams: Promise<{ range?: string }> }) {
  await requireUser()
  const asked = (await searchParams).range ?? '1h'
  const range: SeriesRange = isSeriesRange(asked) ? asked : '1h'
  const env = serverEnv()
  const interval = env.metrics.METRICS_INTERVAL_SECONDS
  const [view, schedule] = await Promise.all([
    serverHealthView(range),
    (async () => {
      const { key } = await targetIdentity(targetDb())
      const [s] = await listSchedules(stateDb(), [metricsSampleJob], key, configuredSchedules(env.jobs))
      return s
    })(),
  ])
  // The newest ranges move with every sample; longer ones only gain a point every few minutes.
  const refreshMs = view.series.resolution === 'raw' ? Math.max(interval, 5) * 1000 : 60_000
  return (
    <>
      <h1>Health</h1>
      <p className="muted">
        The target over time, from the health sampler job: a sample every {interval} s (METRICS_INTERVAL_SECONDS) while its schedule runs
        {schedule ? ` (${schedule.enabled ? `“${schedule.cron}” ${schedule.timezone}` : 'now off'}, on the Jobs page)` : ''}. A gap is a missed sample or a counter
        reset, never a zero; markers are migrations, fixes, backups and alerts. Times are UTC.
      </p>
      <RangePicker current={range} />
      {view.latestAt === null ? (
        <section className="card" data-testid="health-empty">
          <h2>No samples yet</h2>
          <p>
            {schedule?.enabled
              ? `The sampler job takes the first sample at the next firing of its schedule (“${schedule.cron}”, within a minute for the default), then one every ${interval} s.`
              : 'The sampler’s schedule is off: an admin turns it on on the Jobs page, or leave METRICS_SCHEDULE_CRON unset.'}
          </p>
          <p>
            To take one now, run <code>dbadmin metrics sample</code> with the dashboard’s configuration (rates come from the second sample on).
          </p>
        </section>
      ) : (
        <HealthCharts initial={toJson(view)} refreshMs={refreshMs} />
      )}
    </>
  )
}
