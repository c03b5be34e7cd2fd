import type { Kysely } from 'kysely'
import { sql } from 'kysely'
import type pg from 'pg'
import { isDashboardApplication, readAccess } from './access'
import { THRESHOLDS, type ThresholdName } from './thresholds'

export interface ConnectionCount {
  name: string
  count: number
  /** The role's or database's CONNECTION LIMIT; null when unlimited. */
  limit: number | null
}

export interface IdleConnection {
  pid: number
  user: string | null
  database: string | null
  applicationName: string
  client: string | null
  idleSeconds: number
  backendStart: Date | null
  dashboard: boolean
}

export interface ConnectionsReport {
  /** Client sessions, the ones max_connections counts. */
  total: number
  max: number
  superuserReserved: number
  /** reserved_connections (PostgreSQL 16+, for pg_use_reserved_connections); 0 before. */
  reserved: number
  /** What roles without superuser (or reserved) rights can open in all. */
  availableToOthers: number
  /** total / max, 0–1. */
  usedShare: number
  byState: ConnectionCount[]
  byApplication: ConnectionCount[]
  byUser: ConnectionCount[]
  byDatabase: ConnectionCount[]
  byClient: ConnectionCount[]
  /** Idle longer than idleConnectionLeakSeconds: possibly leaked by an application's pool. */
  idleLeaks: IdleConnection[]
  warnings: { threshold: ThresholdName; message: string }[]
  thresholds: { warnShare: number; leakSeconds: number }
  limitations: string[]
}

interface Row {
  pid: number
  state: string | null
  application_name: string | null
  usename: string | null
  datname: string | null
  client: string | null
  state_seconds: number | null
  backend_start: Date | null
}

/** Server connections against max_connections and the per-role and per-database limits. */
export async function readConnections(db: Kysely<any>, opts: { warnShare?: number; leakSeconds?: number } = {}): Promise<ConnectionsReport> {
  const warnShare = opts.warnShare ?? THRESHOLDS.connectionUseWarn.value
  const leakSeconds = opts.leakSeconds ?? THRESHOLDS.idleConnectionLeakSeconds.value
  const [access, sessions, limits] = await Promise.all([
    readAccess(db),
    sql<Row>`/* dor-db-admin */
      select a.pid, a.state, a.application_name, a.usename, a.datname,
             coalesce(host(a.client_addr), a.client_hostname, case when a.client_port = -1 then 'local' end) as client,
             extract(epoch from statement_timestamp() - a.state_change)::float8 as state_seconds, a.backend_start
      from pg_stat_activity a
      -- Other roles' sessions show no backend_type to a role without pg_read_all_stats; a user's
      -- session still shows its user, background processes have none.
      where a.backend_type = 'client backend' or (a.backend_type is null and a.usesysid is not null)
    `.execute(db),
    sql<{ max: number; su_reserved: number; reserved: number | null; roles: { name: string; limit: number }[]; dbs: { name: string; limit: number }[] }>`/* dor-db-admin */
      select current_setting('max_connections')::int as max,
             current_setting('superuser_reserved_connections')::int as su_reserved,
             current_setting('reserved_connections', true)::int as reserved,
             coalesce((select json_agg(json_build_object('name', rolname, 'limit', rolconnlimit)) from pg_roles where rolconnlimit >= 0), '[]') as roles,
             coalesce((select json_agg(json_build_object('name', datname, 'limit', datconnlimit)) from pg_database where datconnlimit >= 0), '[]') as dbs
    `.execute(db),
  ])
  const rows = sessions.rows
  const l = limits.rows[0]
  const roleLimit = new Map(l.roles.map((r) => [r.name, r.limit]))
  const dbLimit = new Map(l.dbs.map((d) => [d.name, d.limit]))
  const group = (key: (r: Row) => string, limitOf?: Map<string, number>): ConnectionCount[] => {
    const counts = new Map<string, number>()
    for (const r of rows) counts.set(key(r), (counts.get(key(r)) ?? 0) + 1)
    return [...counts]
      .map(([name, count]) => ({ name, count, limit: limitOf?.get(name) ?? null }))
      .sort((a, b) => b.count - a.count || a.name.localeCompare(b.name))
  }

  const total = rows.length
  const reserved = l.reserved ?? 0
  const usedShare = l.max > 0 ? total / l.max : 0
  const byUser = group((r) => r.usename ?? '(unknown)', roleLimit)
  const byDatabase = group((r) => r.datname ?? '(none)', dbLimit)
  const warnings: ConnectionsReport['warnings'] = []
  if (usedShare >= warnShare) {
    warnings.push({
      threshold: 'connectionUseWarn',
      message: `${total} of ${l.max} connections are in use (${Math.round(usedShare * 100)} %); ${l.su_reserved + reserved} are kept for superusers${reserved ? ' and reserved roles' : ''}. Look for idle connections and oversized pools, or put a pooler (PgBouncer) in front.`,
    })
  }
  for (const c of [...byUser, ...byDatabase]) {
    if (c.limit !== null && c.limit > 0 && c.count / c.limit >= warnShare) {
      const kind = byUser.includes(c) ? 'role' : 'database'
      warnings.push({ threshold: 'connectionUseWarn', message: `The ${kind} ${c.name} uses ${c.count} of its ${c.limit} allowed connections.` })
    }
  }
  const idleLeaks = rows
    .filter((r) => r.state === 'idle' && r.state_seconds !== null && r.state_seconds >= leakSeconds)
    .sort((a, b) => (b.state_seconds ?? 0) - (a.state_seconds ?? 0))
    .map((r) => ({
      pid: r.pid,
      user: r.usename,
      database: r.datname,
      applicationName: r.application_name ?? '',
      client: r.client,
      idleSeconds: r.state_seconds!,
      backendStart: r.backend_start,
      dashboard: isDashboardApplication(r.application_name),
    }))
  const limitations: string[] = []
  if (!access.readAllStats && rows.some((r) => r.state === null)) {
    limitations.push(
      `The state and client of other roles' sessions are hidden from ${access.user}: grant it pg_monitor (or pg_read_all_stats). They are counted, but idle connections of those roles cannot be judged.`,
    )
  }
  return {
    total,
    max: l.max,
    superuserReserved: l.su_reserved,
    reserved,
    availableToOthers: l.max - l.su_reserved - reserved,
    usedShare,
    byState: group((r) => r.state ?? '(hidden)'),
    byApplication: group((r) => r.application_name || '(none)'),
    byUser,
    byDatabase,
    byClient: group((r) => r.client ?? '(hidden)'),
    idleLeaks,
    warnings,
    thresholds: { warnShare, leakSeconds },
    limitations,
  }
}

export interface PoolStats {
  name: string
  /** Connections the pool holds, idle ones, and callers waiting for one. */
  total: number
  idle: number
  waiting: number
  max: number
  /** Checked-out connections / max, 0–1. */
  busyShare: number
  warning: string | null
}

/** The dashboard's own node-postgres pools, passed in by whoever owns them. */
export function describePools(pools: Record<string, pg.Pool>, warnShare: number = THRESHOLDS.connectionUseWarn.value): PoolStats[] {
  return Object.entries(pools).map(([name, pool]) => {
    const max = pool.options.max ?? 10
    const busy = pool.totalCount - pool.idleCount
    const busyShare = max > 0 ? busy / max : 0
    const warning =
      pool.waitingCount > 0
        ? `${pool.waitingCount} caller${pool.waitingCount > 1 ? 's wait' : ' waits'} for a connection: all ${max} are checked out.`
        : busyShare >= warnShare
          ? `${busy} of ${max} connections are checked out.`
          : null
    return { name, total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max, busyShare, warning }
  })
}
