import { Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import { noteQueryFailure } from './query-failures'

export interface ConnectOptions {
  /** Pool size. Small on purpose: the dashboard must never be the one exhausting a server's connections. */
  max?: number
  applicationName?: string
  /** statement_timeout for every session of this pool, in milliseconds. */
  statementTimeoutMs?: number
  /** lock_timeout for every session: a statement waiting longer for a lock fails instead of hanging. */
  lockTimeoutMs?: number
  /**
   * row_security = off: a query that a row-level security policy would filter fails instead of
   * quietly seeing fewer rows (an orphan count must not take hidden parents for missing ones).
   */
  rowSecurityOff?: boolean
  /** Count this pool's failed queries as the dashboard's own (lib/db/query-failures.ts): the target's pools. */
  countFailures?: boolean
}

// COUNT(*) and sizes arrive as int8; they fit in a double for anything a dashboard shows.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v))

export function createPool(url: string, opts: ConnectOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 4,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
    application_name: opts.applicationName ?? 'dor-db-admin',
    ...(opts.statementTimeoutMs ? { statement_timeout: opts.statementTimeoutMs } : {}),
    ...(opts.lockTimeoutMs ? { lock_timeout: opts.lockTimeoutMs } : {}),
    ...(opts.rowSecurityOff ? { options: '-c row_security=off' } : {}),
  })
  // An idle client losing its server (restart, network) must not crash the process.
  pool.on('error', () => {})
  // Nor a checked-out one: pg-pool listens only while a client is idle, and a client whose server
  // ends the session mid-query emits 'error' besides failing that query, which reports it.
  pool.on('connect', (client) => client.on('error', () => {}))
  const pids = new Set<number>()
  pool.on('connect', (client) => void pids.add((client as unknown as { processID: number }).processID))
  pool.on('remove', (client) => void pids.delete((client as unknown as { processID: number }).processID))
  pidsOf.set(pool, pids)
  return pool
}

// The server pids of each pool's sessions, so that a job can cancel what its own pool runs.
const pidRegistry = globalThis as unknown as { __dbadminPoolPids?: WeakMap<object, Set<number>> }
const pidsOf = (pidRegistry.__dbadminPoolPids ??= new WeakMap())

// Where each Kysely instance made here connects, so that code given one can open a session of
// its own there (a session-level advisory lock must not sit on a pooled connection). Kept on
// globalThis: a Next server may load this module more than once (one copy per bundle layer),
// while the pools themselves are shared.
const registry = globalThis as unknown as { __dbadminSessionTargets?: WeakMap<object, { url: string; applicationName: string; opts?: ConnectOptions }> }
const urls = (registry.__dbadminSessionTargets ??= new WeakMap())

const poolRegistry = globalThis as unknown as { __dbadminPoolOf?: WeakMap<object, pg.Pool> }
const poolsOf = (poolRegistry.__dbadminPoolOf ??= new WeakMap())

export function createDb<DB = any>(url: string, opts: ConnectOptions = {}): Kysely<DB> {
  const pool = createPool(url, opts)
  const db = new Kysely<DB>({
    dialect: new PostgresDialect({ pool }),
    ...(opts.countFailures ? { log: (event) => (event.level === 'error' ? noteQueryFailure(event.error) : undefined) } : {}),
  })
  urls.set(db, { url, applicationName: opts.applicationName ?? 'dor-db-admin', opts })
  poolsOf.set(db, pool)
  return db
}

/** The node-postgres pool behind a Kysely instance made by createDb, for its counts (the Connections page). */
export function poolOf(db: Kysely<any>): pg.Pool | undefined {
  return poolsOf.get(db)
}

/**
 * A pool of its own with the same login and settings as `db` (made by createDb), for work whose
 * statements must be cancellable without touching anyone else's (see cancelPoolStatements). The
 * caller destroys it.
 */
export function siblingDb<DB = any>(db: Kysely<any>, opts: ConnectOptions = {}): Kysely<DB> {
  const where = urls.get(db)
  if (!where) throw new Error('siblingDb needs a Kysely instance made by createDb (not a transaction)')
  return createDb<DB>(where.url, { ...where.opts, ...opts })
}

/**
 * Cancels the statements running on the server in the sessions of `pool`'s pool (made by
 * createDb), from a connection of `via`; idle sessions are left alone. How many were cancelled.
 */
export async function cancelPoolStatements(via: Kysely<any>, pool: Kysely<any>): Promise<number> {
  const pids = [...(pidsOf.get(poolsOf.get(pool) as object) ?? [])]
  if (pids.length === 0) return 0
  const { rows } = await sql<{ n: number }>`/* dor-db-admin */
    select count(*) filter (where pg_cancel_backend(a.pid))::int as n
    from pg_stat_activity a where a.pid = any(${pids}::int[]) and a.state = 'active' and a.pid <> pg_backend_pid()`.execute(via)
  return rows[0]?.n ?? 0
}

/**
 * A new session, outside the pool, to the database `db` (made by createDb) connects to. The
 * caller ends it; `onError` hears of its loss (a server restart, a terminated backend).
 */
export async function openSession(db: Kysely<any>, opts: { applicationName?: string; onError?: (e: Error) => void } = {}): Promise<pg.Client> {
  const where = urls.get(db)
  if (!where) throw new Error('openSession needs a Kysely instance made by createDb (not a transaction)')
  const client = new pg.Client({
    connectionString: where.url,
    application_name: (opts.applicationName ?? where.applicationName).slice(0, 63),
    connectionTimeoutMillis: 5_000,
  })
  client.on('error', (e) => opts.onError?.(e))
  await client.connect()
  return client
}

/** Host, port and database of a URL, without the password, for display and logs. */
export function describeUrl(url: string): { host: string; port: number; database: string; user: string } {
  const u = new URL(url)
  return {
    host: u.hostname || 'localhost',
    port: Number(u.port || 5432),
    database: decodeURIComponent(u.pathname.replace(/^\//, '')) || 'postgres',
    user: decodeURIComponent(u.username),
  }
}

// Escapes that node-postgres's decodeURI of the path leaves as they are; their characters are
// allowed raw in a URL path, so they stay raw (`/`, `?` and `#` cannot: see PG_URL_UNSAFE_NAME).
const RAW_IN_PATH: Record<string, string> = { '%3B': ';', '%2C': ',', '%3A': ':', '%40': '@', '%26': '&', '%3D': '=', '%2B': '+', '%24': '$' }

/** Database names that no URL can carry to node-postgres (it reads the path with decodeURI, which keeps %2F, %3F and %23). */
export const PG_URL_UNSAFE_NAME = /[/?#]/

/**
 * The same server, another database. The name reads back the same with decodeURIComponent (libpq's
 * tools, describeUrl) and with node-postgres's decodeURI: `semi;colon`, not `semi%3Bcolon`.
 */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url)
  u.pathname = '/' + encodeURIComponent(database).replace(/%(3B|2C|3A|40|26|3D|2B|24)/g, (m) => RAW_IN_PATH[m])
  return u.toString()
}
