import { listActivity } from '../../lib/performance/activity'
import { readIndexesWithFindings } from '../../lib/performance/index-findings'
import { listSlowQueries } from '../../lib/performance/slow-queries'
import { listTables } from '../../lib/performance/tables'
import { CliError, JSON_FLAG, stringFlag } from '../args'
import type { Command } from '../command'
import type { CliContext } from '../context'

const seconds = (s: number | null) => (s === null ? '-' : `${Math.round(s)}s`)

/** `dbadmin activity [--json]`: every session, with the blocking tree. */
async function activity(ctx: CliContext): Promise<void> {
  const a = await listActivity(ctx.target())
  if (ctx.json) return ctx.print(a)
  const c = a.counts
  ctx.out(`${c.clientBackends} client sessions: ${c.active} active, ${c.idleInTransaction} idle in transaction, ${c.waiting} waiting, ${c.long} over 30 s, ${c.veryLong} over 5 min`)
  for (const s of a.sessions.filter((x) => x.backendType === 'client backend')) {
    const mark = s.running === 'very-long' ? '!!' : s.running === 'long' ? '! ' : '  '
    const blocked = s.blockedBy.length ? ` blocked by ${s.blockedBy.join(',')}` : ''
    ctx.out(`${mark}${String(s.pid).padStart(7)}  ${(s.state ?? '-').padEnd(19)} ${seconds(s.durationSeconds).padStart(7)}  ${s.user ?? '-'}@${s.database ?? '-'}  ${s.applicationName}${blocked}  ${s.queryPreview.replace(/\s+/g, ' ').slice(0, 100)}`)
  }
}

const SORTS = ['total', 'mean', 'calls'] as const

/** `dbadmin slow-queries [--json] [--limit N] [--sort total|mean|calls]`. */
async function slowQueries(ctx: CliContext): Promise<void> {
  const rawLimit = stringFlag(ctx.args, 'limit')
  const limit = rawLimit === undefined ? 20 : /^\d{1,4}$/.test(rawLimit) && Number(rawLimit) >= 1 && Number(rawLimit) <= 1000 ? Number(rawLimit) : NaN
  if (Number.isNaN(limit)) throw new CliError(`--limit must be a whole number from 1 to 1000, not "${rawLimit}"`)
  const sort = stringFlag(ctx.args, 'sort') ?? 'total'
  if (!(SORTS as readonly string[]).includes(sort)) throw new CliError(`--sort must be one of ${SORTS.join(', ')}, not "${sort}"`)
  const r = await listSlowQueries(ctx.target(), { limit, sort: sort as (typeof SORTS)[number] })
  if (r.status.state !== 'ready') {
    throw new CliError([r.status.summary, ...r.status.steps.map((s) => `  - ${s.text}${s.sql ? ` ${s.sql}` : ''}`)].join('\n'), 1)
  }
  const queries = r.queries.map((q) => ({ queryid: q.queryid, query: q.query, calls: q.calls, totalMs: q.totalMs, meanMs: q.meanMs, maxMs: q.maxMs, rows: q.rows, hitRatio: q.hitRatio }))
  if (ctx.json) return ctx.print({ queries })
  for (const q of queries) {
    ctx.out(`${q.totalMs.toFixed(1).padStart(12)} ms total ${q.meanMs.toFixed(2).padStart(10)} ms mean ${String(q.calls).padStart(8)} calls  ${q.query.replace(/\s+/g, ' ').slice(0, 100)}`)
  }
}

/** `dbadmin indexes [--json]`: every index with its usage, and the findings with their SQL. */
async function indexes(ctx: CliContext): Promise<void> {
  const findings = await readIndexesWithFindings(ctx.target())
  if (ctx.json) return ctx.print({ indexes: findings.usage.indexes, findings: findings.findings, statsResetAt: findings.statsResetAt })
  for (const f of findings.findings) ctx.out(`${f.kind.padEnd(9)} ${f.title}\n          ${f.advice}${f.sql ? `\n          ${f.sql}` : ''}`)
  if (!findings.findings.length) ctx.out('No index findings.')
}

/** `dbadmin tables [--json]`: activity, dead rows, bloat estimate and freeze age of every table. */
async function tables(ctx: CliContext): Promise<void> {
  const r = await listTables(ctx.target())
  if (ctx.json) return ctx.print(r)
  for (const t of r.tables) {
    ctx.out(`${t.qualifiedTable}  ${t.totalBytes} bytes  ${t.liveRows} live, ${t.deadRows} dead  ins/upd/del ${t.inserts}/${t.updates}/${t.deletes}${t.warnings.map((w) => `\n  ! ${w.message}`).join('')}`)
  }
}

export const activityCommand: Command = {
  help: 'activity [--json]           sessions, blocking chains, long-running queries',
  subcommands: { '': { flags: JSON_FLAG, summary: 'every session of the server with duration, state, waits and the blocking tree' } },
  run: activity,
}

export const slowQueriesCommand: Command = {
  help: 'slow-queries [--json] [--limit N] [--sort total|mean|calls]  top statements from pg_stat_statements',
  subcommands: {
    '': {
      flags: { ...JSON_FLAG, limit: { type: 'string', value: 'N' }, sort: { type: 'string', value: 'total|mean|calls' } },
      summary: 'the top statements of pg_stat_statements (default 20 by total time); exit 1 when the extension is missing',
    },
  },
  run: slowQueries,
}

export const indexesCommand: Command = {
  help: 'indexes [--json]            index usage and findings (unused, duplicate, invalid, missing)',
  subcommands: { '': { flags: JSON_FLAG, summary: 'every index with its usage, and the findings with advice and SQL' } },
  run: indexes,
}

export const tablesCommand: Command = {
  help: 'tables [--json]             table activity, dead rows, bloat estimate, freeze age',
  subcommands: { '': { flags: JSON_FLAG, summary: 'statistics of every table (no table is read)' } },
  run: tables,
}
