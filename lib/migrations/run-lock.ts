import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { ActionError } from '../auth/action-result'

// One key for "a migration run on this database", shared by every dashboard instance and the CLI.
// Advisory locks belong to a database: pg_locks lists those of every database of the cluster, so
// the queries below keep to the current one.
const LOCK_CLASS = 0x44_6f_52 // 'DoR'
const LOCK_OBJECT = 1

/**
 * Sessions of one run are named `dbadmin migrate: <who> #<token>` (or `dbadmin dry run: …`): the
 * lock holder and the migration session share the token, so a migration session whose token no
 * lock holder carries any more belongs to a run that died.
 */
const RUN_SESSION = /^dbadmin (migrate|dry run): (.*) #([0-9a-f]{8})$/

export class MigrationLockedError extends ActionError {
  constructor(message: string) {
    super('conflict', message)
    this.name = 'MigrationLockedError'
  }
}

/** The lock holder's session, and the name the run's other sessions take. */
export interface RunLockSession {
  /** An idle session on the target besides the migration's: watches lock waits, cancels statements. */
  client: pg.Client
  /** application_name for the run's sessions, e.g. `dbadmin migrate: admin@x #1a2b3c4d`. */
  sessionName(kind: 'migrate' | 'dry run'): string
}

function sessionName(kind: string, holder: string, token: string): string {
  // application_name is limited to 63 bytes by the server; the token must survive the cut.
  const suffix = ` #${token}`
  return Buffer.from(`dbadmin ${kind}: ${holder}`).subarray(0, 63 - suffix.length).toString().replace(/\uFFFD$/, '') + suffix
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
  const named = RUN_SESSION.exec(h.app) ?? /^dbadmin migrate: (.*)$/.exec(h.app)
  const who = named ? named[named.length === 4 ? 2 : 1] : `${h.app || 'a session'} (pid ${h.pid})`
  return `another migration run is in progress, started by ${who} at ${new Date(h.started).toISOString().replace('T', ' ').slice(0, 19)} UTC`
}

/**
 * Runs `work` while holding the migration run lock of the target, on a session of its own.
 * A second run is refused at once (pg_try_advisory_lock), never left waiting.
 */
export async function withRunLock<T>(targetUrl: string, holder: string, work: (lock: RunLockSession) => Promise<T>): Promise<T> {
  const token = randomBytes(4).toString('hex')
  const client = new pg.Client({
    connectionString: targetUrl,
    application_name: sessionName('migrate', holder, token),
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
      return await work({ client, sessionName: (kind) => sessionName(kind, holder, token) })
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

/** A server session left behind by a migration run whose process died, still busy on the target. */
export interface OrphanedSession {
  pid: number
  applicationName: string
  /** Who started the run, from the session's name. */
  startedBy: string
  state: string
  query: string
  /** Since when its transaction (or statement) runs. */
  since: Date | null
  /** Locks it holds: they block whoever needs those tables. */
  locks: number
}

/**
 * Sessions of earlier migration runs that died (kill -9, a lost machine) while their statement
 * kept running on the server, holding its locks: the server notices a vanished client only when
 * it next writes to it. Idle ones are harmless and left out.
 */
export async function orphanedMigrationSessions(targetUrl: string): Promise<OrphanedSession[]> {
  const client = new pg.Client({ connectionString: targetUrl, connectionTimeoutMillis: 5_000 })
  client.on('error', () => {})
  await client.connect()
  try {
    const { rows } = await client.query<{ pid: number; app: string; state: string; query: string; since: Date | null; locks: number }>(
      `select a.pid, a.application_name as app, a.state, a.query, coalesce(a.xact_start, a.query_start) as since,
              (select count(*)::int from pg_locks l where l.pid = a.pid and l.granted) as locks
         from pg_stat_activity a
        where a.datname = current_database() and a.pid <> pg_backend_pid() and a.state <> 'idle'
          and a.application_name ~ $3
          and not exists (
            select 1 from pg_locks l join pg_stat_activity h on h.pid = l.pid
             where l.locktype = 'advisory' and l.classid = $1 and l.objid = $2 and l.granted
               and l.database = (select oid from pg_database where datname = current_database())
               and right(h.application_name, 9) = right(a.application_name, 9))
        order by a.pid`,
      [LOCK_CLASS, LOCK_OBJECT, RUN_SESSION.source],
    )
    return rows.map((r) => ({
      pid: r.pid,
      applicationName: r.app,
      startedBy: RUN_SESSION.exec(r.app)?.[2] ?? r.app,
      state: r.state,
      query: r.query,
      since: r.since,
      locks: r.locks,
    }))
  } finally {
    await client.end().catch(() => {})
  }
}

/** One line per orphaned session, for the CLI's stderr and the Migrations page. */
export function describeOrphan(o: OrphanedSession): string {
  const since = o.since ? ` since ${new Date(o.since).toISOString().replace('T', ' ').slice(0, 19)} UTC` : ''
  const query = o.query.replace(/\s+/g, ' ').trim().slice(0, 200)
  return `pid ${o.pid}, left by a migration run of ${o.startedBy} that died, is still ${o.state}${since} holding ${o.locks} lock${o.locks === 1 ? '' : 's'}: ${query}. End it with select pg_cancel_backend(${o.pid}) (or pg_terminate_backend).`
}
