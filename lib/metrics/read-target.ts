import { type Kysely, sql } from 'kysely'

/** The cumulative counters a sample keeps for the next one's deltas. */
export interface Counters {
  xactCommit: number
  xactRollback: number
  blksHit: number
  blksRead: number
  idxBlksHit: number | null
  idxBlksRead: number | null
  deadlocks: number
  tempBytes: number
  /** The WAL position in bytes: never reset, only moves forward (on a standby, the replay position). */
  walLsn: number | null
  /** Sums over this database's pg_stat_statements entries; null without the extension. */
  statementCalls: number | null
  statementTotalMs: number | null
  /**
   * The dashboard's own failed queries on this target, a running total kept in the state database
   * (lib/db/query-failures.ts), not read from the target; absent in samples stored before it was kept.
   */
  dashboardFailures?: number | null
}

/** What one sample reads from the target, in two round trips at most. */
export interface TargetReading {
  /** The target's clock when it was read. */
  at: Date
  postmasterStartAt: Date
  statsResetAt: Date | null
  statementsResetAt: Date | null
  counters: Counters
  connections: { total: number; active: number; idle: number; idleInTransaction: number; other: number; max: number }
  /** Null when not read (not a slow reading). */
  dbSizeBytes: number | null
  longestQuery: { pid: number; seconds: number; user: string | null; application: string | null; query: string | null } | null
  longestIdleInTransactionSeconds: number | null
  blockedSessions: number
  replicationLagSeconds: number | null
  replicationLagBytes: number | null
  xidAge: number
}

interface MainRow {
  at: Date
  postmaster_start: Date
  stats_reset: Date | null
  xact_commit: number
  xact_rollback: number
  blks_hit: number
  blks_read: number
  deadlocks: number
  temp_bytes: number
  idx_blks_hit: number | null
  idx_blks_read: number | null
  wal_lsn: number | null
  db_size: number | null
  max_connections: number
  total: number
  active: number
  idle: number
  idle_in_transaction: number
  longest_idle_tx: number | null
  blocked: number
  longest: { pid: number; seconds: number; user: string | null; application: string | null; query: string | null } | null
  lag_seconds: number | null
  lag_bytes: number | null
  xid_age: number
  statements_schema: string | null
}

// Which pg_stat_statements timing column this database's extension has (renamed in 1.8).
const statementColumns = new WeakMap<object, Promise<string>>()

/**
 * The statement every sample runs; exported so that bench/metrics-sample.bench.ts times the very
 * same text. `slow` adds the two parts whose cost grows with the number of relations: the database
 * size (a listing of every file) and the index block counters (a row per index).
 */
export function targetQuery(slow: boolean) {
  return sql<MainRow>`/* dor-db-admin */
    with sessions as (
      select a.pid, a.state, a.wait_event_type, a.query_start, a.state_change, a.usename, a.application_name, a.query,
             a.datname = current_database() as here
      from pg_stat_activity a
      where (a.backend_type = 'client backend' or (a.backend_type is null and a.usesysid is not null))
    )
    select clock_timestamp() as at,
           pg_postmaster_start_time() as postmaster_start,
           d.stats_reset, d.xact_commit, d.xact_rollback, d.blks_hit, d.blks_read, d.deadlocks, d.temp_bytes,
           i.idx_blks_hit, i.idx_blks_read,
           (case when pg_is_in_recovery() then pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0')
                 else pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0') end)::float8 as wal_lsn,
           ${slow ? sql`pg_database_size(current_database())` : sql`null::bigint`} as db_size,
           current_setting('max_connections')::int as max_connections,
           s.total, s.active, s.idle, s.idle_in_transaction, s.longest_idle_tx, s.blocked,
           (select json_build_object('pid', l.pid, 'seconds', extract(epoch from clock_timestamp() - l.query_start)::float8,
                                     'user', l.usename, 'application', l.application_name, 'query', left(l.query, 1000))
              from sessions l
             where l.here and l.state = 'active' and l.pid <> pg_backend_pid() and l.query_start is not null
             order by l.query_start limit 1) as longest,
           case when pg_is_in_recovery() then extract(epoch from clock_timestamp() - pg_last_xact_replay_timestamp())::float8
                else (select max(extract(epoch from r.replay_lag))::float8 from pg_stat_replication r) end as lag_seconds,
           case when pg_is_in_recovery() then null
                else (select max(pg_wal_lsn_diff(pg_current_wal_lsn(), r.replay_lsn))::float8 from pg_stat_replication r) end as lag_bytes,
           (select max(age(datfrozenxid)) from pg_database)::float8 as xid_age,
           (select n.nspname from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'pg_stat_statements') as statements_schema
    from pg_stat_database d,
         ${
           slow
             ? sql`(select sum(idx_blks_hit)::float8 as idx_blks_hit, sum(idx_blks_read)::float8 as idx_blks_read from pg_statio_user_indexes)`
             : sql`(select null::float8 as idx_blks_hit, null::float8 as idx_blks_read)`
         } i,
         (select count(*)::int as total,
                 count(*) filter (where state = 'active' and pid <> pg_backend_pid())::int as active,
                 count(*) filter (where state = 'idle')::int as idle,
                 count(*) filter (where state = 'idle in transaction')::int as idle_in_transaction,
                 max(extract(epoch from clock_timestamp() - state_change)) filter (where here and state like 'idle in transaction%')::float8 as longest_idle_tx,
                 count(*) filter (where here and wait_event_type = 'Lock')::int as blocked
            from sessions) s
    where d.datname = current_database()
  `
}

/**
 * Reads everything but pg_stat_statements in one statement, whose cost does not grow with the
 * number of tables unless `slow` (the default) adds the database size and the index counters.
 * Sessions are client backends only. Connections are counted
 * over the whole server, as max_connections counts them; the longest query, idle in transaction and
 * lock waits are this database's, the one the dashboard manages.
 */
export async function readTarget(db: Kysely<any>, opts: { slow?: boolean } = {}): Promise<TargetReading> {
  const { rows } = await targetQuery(opts.slow ?? true).execute(db)
  const r = rows[0]
  const statements = r.statements_schema ? await readStatementTotals(db, r.statements_schema) : null
  const total = r.total
  return {
    at: r.at,
    postmasterStartAt: r.postmaster_start,
    statsResetAt: r.stats_reset,
    statementsResetAt: statements?.resetAt ?? null,
    counters: {
      xactCommit: r.xact_commit,
      xactRollback: r.xact_rollback,
      blksHit: r.blks_hit,
      blksRead: r.blks_read,
      idxBlksHit: r.idx_blks_hit,
      idxBlksRead: r.idx_blks_read,
      deadlocks: r.deadlocks,
      tempBytes: r.temp_bytes,
      walLsn: r.wal_lsn,
      statementCalls: statements?.calls ?? null,
      statementTotalMs: statements?.totalMs ?? null,
    },
    connections: {
      total,
      // This session is not counted as active: it is the sampler itself.
      active: r.active,
      idle: r.idle,
      idleInTransaction: r.idle_in_transaction,
      other: total - r.active - r.idle - r.idle_in_transaction,
      max: r.max_connections,
    },
    dbSizeBytes: r.db_size,
    longestQuery: r.longest,
    longestIdleInTransactionSeconds: r.longest_idle_tx,
    blockedSessions: r.blocked,
    replicationLagSeconds: r.lag_seconds,
    replicationLagBytes: r.lag_bytes,
    xidAge: r.xid_age,
  }
}

/**
 * Calls and total time of this database's statements. pg_stat_statements(false) leaves the query
 * texts (kept in a file) unread, which is most of the view's cost with thousands of entries.
 */
async function readStatementTotals(db: Kysely<any>, schema: string): Promise<{ calls: number; totalMs: number; resetAt: Date | null } | null> {
  let column = statementColumns.get(db)
  if (!column) {
    column = sql<{ exec: boolean }>`/* dor-db-admin */
      select exists (select 1 from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
                      where n.nspname = ${schema} and c.relname = 'pg_stat_statements' and a.attname = 'total_exec_time') as exec`
      .execute(db)
      .then(({ rows }) => (rows[0].exec ? 'total_exec_time' : 'total_time'))
    statementColumns.set(db, column)
    column.catch(() => statementColumns.delete(db))
  }
  try {
    const { rows } = await statementTotalsQuery(schema, await column).execute(db)
    return { calls: rows[0].calls ?? 0, totalMs: rows[0].total_ms ?? 0, resetAt: rows[0].reset_at }
  } catch {
    // Created but not loaded (not in shared_preload_libraries), or an extension older than 1.9 without
    // the info view: the statement metrics are left out of this sample rather than failing it.
    return readStatementTotalsWithoutInfo(db, sql.id(schema, 'pg_stat_statements'), sql.ref(await column))
  }
}

async function readStatementTotalsWithoutInfo(db: Kysely<any>, fn: ReturnType<typeof sql.id>, total: ReturnType<typeof sql.ref>) {
  try {
    const { rows } = await sql<{ calls: number | null; total_ms: number | null }>`/* dor-db-admin */
      select sum(s.calls)::float8 as calls, sum(s.${total})::float8 as total_ms from ${fn}(false) s
      where s.dbid = (select oid from pg_database where datname = current_database())
    `.execute(db)
    return { calls: rows[0].calls ?? 0, totalMs: rows[0].total_ms ?? 0, resetAt: null }
  } catch {
    return null
  }
}

/** Calls, time and reset time of this database's pg_stat_statements entries (1.9+, with the info view). */
export function statementTotalsQuery(schema: string, totalColumn: string) {
  const total = sql.ref(totalColumn)
  const fn = sql.id(schema, 'pg_stat_statements')
  const info = sql.id(schema, 'pg_stat_statements_info')
  return sql<{ calls: number | null; total_ms: number | null; reset_at: Date | null }>`/* dor-db-admin */
    select sum(s.calls)::float8 as calls, sum(s.${total})::float8 as total_ms,
           (select to_jsonb(i) ->> 'stats_reset' from ${info} i)::timestamptz as reset_at
    from ${fn}(false) s
    where s.dbid = (select oid from pg_database where datname = current_database())
  `
}
