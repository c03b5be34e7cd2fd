import { type Kysely, sql } from 'kysely'

export interface DatabaseHealth {
  serverVersion: string
  database: string
  sizeBytes: number
  connections: { total: number; max: number; active: number; idleInTransaction: number }
}

/** What `dbadmin health --json` prints: one round trip, readable by a monitoring-only role. */
export async function getDatabaseHealth(db: Kysely<any>): Promise<DatabaseHealth> {
  const { rows } = await sql<{
    server_version: string
    database: string
    size_bytes: number
    total: number
    max: number
    active: number
    idle_in_transaction: number
  }>`
    select current_setting('server_version') as server_version,
           current_database() as database,
           pg_database_size(current_database()) as size_bytes,
           current_setting('max_connections')::int as max,
           count(*)::int as total,
           count(*) filter (where state = 'active')::int as active,
           count(*) filter (where state in ('idle in transaction', 'idle in transaction (aborted)'))::int as idle_in_transaction
    from pg_stat_activity
    where backend_type = 'client backend'
  `.execute(db)
  const r = rows[0]
  return {
    serverVersion: r.server_version,
    database: r.database,
    sizeBytes: Number(r.size_bytes),
    connections: { total: r.total, max: r.max, active: r.active, idleInTransaction: r.idle_in_transaction },
  }
}

/** Answers within the timeout or throws; for /api/health and the unreachable-target banner. */
export async function ping(db: Kysely<any>, timeoutMs = 3000): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      sql`select 1`.execute(db),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
      }),
    ])
  } finally {
    clearTimeout(timer)
  }
}
