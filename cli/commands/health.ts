import { getDatabaseHealth } from '../../lib/health/database-health'
import { listActivity } from '../../lib/performance/activity'
import { readCacheHitRatios } from '../../lib/performance/tables'
import { JSON_FLAG } from '../args'
import type { Command } from '../command'
import type { CliContext } from '../context'

async function health(ctx: CliContext): Promise<void> {
  const [base, cache, activity] = await Promise.all([getDatabaseHealth(ctx.target()), readCacheHitRatios(ctx.target()), listActivity(ctx.target())])
  // The cluster's other databases are not this database's health (their sessions show on Activity).
  const here = activity.sessions.filter((s) => s.database === base.database)
  const longRunning = here
    .filter((s) => s.running !== 'ok' && s.state === 'active' && !s.self)
    .map((s) => ({ pid: s.pid, seconds: Math.round(s.durationSeconds ?? 0), query: s.queryPreview }))
  const blocked = here.filter((s) => s.blockedBy.length > 0).map((s) => ({ pid: s.pid, blockedBy: s.blockedBy, waitingFor: s.waitingFor?.description ?? null }))
  const health = { ...base, cacheHitRatio: cache.database, longRunning, blocked }
  if (ctx.json) return ctx.print(health)
  const c = health.connections
  ctx.out(
    [
      `database     ${health.database}`,
      `server       PostgreSQL ${health.serverVersion}`,
      `size         ${health.sizeBytes} bytes`,
      `connections  ${c.total} of ${c.max} (${c.active} active, ${c.idleInTransaction} idle in transaction)`,
      `cache hits   ${health.cacheHitRatio === null ? '-' : `${(health.cacheHitRatio * 100).toFixed(2)} %`} (threshold ${cache.threshold * 100} %)`,
      `long running ${longRunning.length}${longRunning.map((l) => `\n  pid ${l.pid} ${l.seconds}s: ${l.query.replace(/\s+/g, ' ').slice(0, 80)}`).join('')}`,
      `blocked      ${blocked.length}${blocked.map((b) => `\n  pid ${b.pid} waits for ${b.blockedBy.join(', ')}`).join('')}`,
    ].join('\n'),
  )
}

export const healthCommand: Command = {
  help: 'health [--json]             server version, size, connections, cache hits, long-running and blocked queries',
  subcommands: { '': { flags: JSON_FLAG, summary: 'server version, database size, connections, cache hit ratio, queries over 30 s and blocked sessions of the target' } },
  run: health,
}
