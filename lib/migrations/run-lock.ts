import pg from 'pg'
import { ActionError } from '../auth/action-result'

// One key for "a migration run on this database", shared by every dashboard instance and the CLI.
// Advisory locks belong to a database: pg_locks lists those of every database of the cluster, so
// the queries below keep to the current one.
const LOCK_CLASS = 0x44_6f_52 // 'DoR'
const LOCK_OBJECT = 1

export class MigrationLockedError extends ActionError {
  constructor(message: string) {
    super('conflict', message)
    this.name = 'MigrationLockedError'
  }
}

/** Who holds the run lock, read from pg_stat_activity (the holder names itself in application_name). */
async function describeHolder(client: pg.Client): Promise<string> {
  const { rows } = await client.query<{ app: string; started: Date; pid: number }>(
    `select a.application_name as app, coalesce(a.xact_start, a.backend_start) as started, a.pid
       from pg_locks l join pg_stat_activity a on a.pid = l.pid
      where l.locktype = 'advisory' and l.classid = $1 and l.objid = $2 and l.granted
        and l.database = (select oid from pg_database where datname = current_database())
      limit 1`,
    [LOCK_CLASS, LOCK_OBJECT],
  )
  const h = rows[0]
  if (!h) return 'another migration run is in progress'
  const who = h.app.startsWith('dbadmin migrate: ') ? h.app.slice('dbadmin migrate: '.length) : `${h.app || 'a session'} (pid ${h.pid})`
  return `another migration run is in progress, started by ${who} at ${new Date(h.started).toISOString().replace('T', ' ').slice(0, 19)} UTC`
}

/**
 * Runs `work` while holding the migration run lock of the target, on a session of its own.
 * A second run is refused at once (pg_try_advisory_lock), never left waiting.
 */
export async function withRunLock<T>(targetUrl: string, holder: string, work: () => Promise<T>): Promise<T> {
  // application_name is limited to 63 bytes by the server.
  const client = new pg.Client({
    connectionString: targetUrl,
    application_name: `dbadmin migrate: ${holder}`.slice(0, 63),
    connectionTimeoutMillis: 10_000,
  })
  client.on('error', () => {})
  await client.connect()
  try {
    const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1, $2) as locked', [
      LOCK_CLASS,
      LOCK_OBJECT,
    ])
    if (!rows[0].locked) throw new MigrationLockedError(await describeHolder(client))
    try {
      return await work()
    } finally {
      await client.query('select pg_advisory_unlock($1, $2)', [LOCK_CLASS, LOCK_OBJECT]).catch(() => {})
    }
  } finally {
    await client.end().catch(() => {})
  }
}

/** Whether some session holds the run lock now (history shows dead 'running' runs as interrupted). */
export async function runLockHeld(targetUrl: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: targetUrl, connectionTimeoutMillis: 5_000 })
  client.on('error', () => {})
  await client.connect()
  try {
    const { rows } = await client.query<{ held: boolean }>(
      `select exists (select 1 from pg_locks where locktype = 'advisory' and classid = $1 and objid = $2 and granted
          and database = (select oid from pg_database where datname = current_database())) as held`,
      [LOCK_CLASS, LOCK_OBJECT],
    )
    return rows[0].held
  } finally {
    await client.end().catch(() => {})
  }
}
