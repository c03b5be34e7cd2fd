import { type Kysely, sql } from 'kysely'
import { isDashboardApplication, readAccess } from './access'
import { type BlockingNode, buildBlockingForest } from './blocking-tree'
import { THRESHOLDS } from './thresholds'

/** The lock a waiting session asked for and has not been granted. */
export interface LockWait {
  lockType: string
  mode: string
  /** For relation, page and tuple locks in this database; null for other databases' objects. */
  schema: string | null
  relation: string | null
  page: number | null
  tuple: number | null
  transactionId: string | null
  virtualXid: string | null
  /** One line: "ShareLock on transaction 1234", "AccessExclusiveLock on relation public.t". */
  description: string
}

export type RunningLevel = 'ok' | 'long' | 'very-long'

export interface Session {
  pid: number
  /** The leader's pid for a parallel worker. */
  leaderPid: number | null
  database: string | null
  user: string | null
  /** null when the role is unknown (background processes). */
  superuser: boolean | null
  applicationName: string
  /** Address or host name, 'local' for a Unix socket, null for background processes. */
  client: string | null
  clientPort: number | null
  backendType: string
  state: string | null
  waitEventType: string | null
  waitEvent: string | null
  backendStart: Date | null
  xactStart: Date | null
  queryStart: Date | null
  stateChange: Date | null
  /**
   * Seconds of what matters in this state: the running statement when active, the open
   * transaction when idle in transaction, the idle time when idle.
   */
  durationSeconds: number | null
  queryPreview: string
  queryLength: number
  queryTruncated: boolean
  blockedBy: number[]
  waitingFor: LockWait | null
  /** Top of the blocking chain this session waits in. */
  rootBlocker: number | null
  idleInTransaction: boolean
  running: RunningLevel
  /** One of the dashboard's own connections (never signalled from the dashboard). */
  dashboard: boolean
  /** The connection running this very query. */
  self: boolean
  /** State and query hidden from this role (needs pg_read_all_stats). */
  hidden: boolean
}

export interface BlockingTreeNode extends Omit<BlockingNode, 'children'> {
  waitingFor: LockWait | null
  children: BlockingTreeNode[]
}

export interface Activity {
  takenAt: Date
  sessions: Session[]
  blocking: BlockingTreeNode[]
  counts: {
    total: number
    clientBackends: number
    active: number
    idle: number
    idleInTransaction: number
    waiting: number
    long: number
    veryLong: number
  }
  thresholds: { longSeconds: number; veryLongSeconds: number }
  limitations: string[]
}

export interface ActivityOptions {
  /** Characters of each query kept in the list; the full text comes from getSessionQuery. */
  previewChars?: number
  longSeconds?: number
  veryLongSeconds?: number
  /** The login Cancel and Terminate use (the signalling login), when it is not `db`'s: whether it may signal is read from it. */
  signalDb?: Kysely<any>
}

interface Row {
  pid: number
  leader_pid: number | null
  datname: string | null
  usename: string | null
  rolsuper: boolean | null
  application_name: string | null
  client_addr: string | null
  client_hostname: string | null
  client_port: number | null
  backend_type: string | null
  state: string | null
  wait_event_type: string | null
  wait_event: string | null
  backend_start: Date | null
  xact_start: Date | null
  query_start: Date | null
  state_change: Date | null
  query_seconds: number | null
  xact_seconds: number | null
  state_seconds: number | null
  query: string | null
  query_length: number | null
  blocked_by: number[] | null
  locktype: string | null
  mode: string | null
  lock_schema: string | null
  lock_relation: string | null
  page: number | null
  tuple: number | null
  virtualxid: string | null
  xid: string | null
  self: boolean
  taken_at: Date
}

const HIDDEN_QUERY = '<insufficient privilege>'

/**
 * One round trip over pg_stat_activity, pg_locks (only the ungranted ones) and pg_blocking_pids,
 * called only for sessions waiting on a heavyweight lock: the function takes the lock manager's
 * locks, so calling it for every session would slow the server it watches.
 */
export async function listActivity(db: Kysely<any>, opts: ActivityOptions = {}): Promise<Activity> {
  const previewChars = opts.previewChars ?? 300
  const longSeconds = opts.longSeconds ?? THRESHOLDS.longRunningSeconds.value
  const veryLongSeconds = opts.veryLongSeconds ?? THRESHOLDS.veryLongRunningSeconds.value
  const [access, { rows }] = await Promise.all([
    readAccess(db),
    sql<Row>`/* dor-db-admin */
      with waits as (
        select l.pid, l.locktype, l.mode, l.database, l.relation, l.page, l.tuple, l.virtualxid, l.transactionid::text as xid
        from pg_locks l where not l.granted
      )
      select a.pid, a.leader_pid, a.datname, a.usename, r.rolsuper, a.application_name,
             host(a.client_addr) as client_addr, a.client_hostname, a.client_port, a.backend_type,
             a.state, a.wait_event_type, a.wait_event, a.backend_start, a.xact_start, a.query_start, a.state_change,
             extract(epoch from statement_timestamp() - a.query_start)::float8 as query_seconds,
             extract(epoch from statement_timestamp() - a.xact_start)::float8 as xact_seconds,
             extract(epoch from statement_timestamp() - a.state_change)::float8 as state_seconds,
             left(a.query, ${previewChars}::int) as query, length(a.query) as query_length,
             case when a.wait_event_type = 'Lock' then pg_blocking_pids(a.pid) end as blocked_by,
             w.locktype, w.mode, wn.nspname as lock_schema, wc.relname as lock_relation, w.page, w.tuple, w.virtualxid, w.xid,
             a.pid = pg_backend_pid() as self, statement_timestamp() as taken_at
      from pg_stat_activity a
      left join pg_roles r on r.oid = a.usesysid
      left join waits w on w.pid = a.pid and a.wait_event_type = 'Lock'
      left join pg_class wc on wc.oid = w.relation
        and w.database = (select d.oid from pg_database d where d.datname = current_database())
      left join pg_namespace wn on wn.oid = wc.relnamespace
      order by a.query_start nulls last, a.pid
    `.execute(db),
  ])

  const forest = buildBlockingForest(rows.map((r) => ({ pid: r.pid, blockedBy: r.blocked_by ?? [] })))
  const sessions = rows.map((r) => toSession(r, forest.rootOf.get(r.pid) ?? null, longSeconds, veryLongSeconds))
  const byPid = new Map(sessions.map((s) => [s.pid, s]))
  const withLocks = (n: BlockingNode): BlockingTreeNode => ({
    ...n,
    waitingFor: byPid.get(n.pid)?.waitingFor ?? null,
    children: n.children.map(withLocks),
  })

  const client = sessions.filter((s) => s.backendType === 'client backend')
  const limitations: string[] = []
  if (!access.readAllStats && sessions.some((s) => s.hidden)) {
    limitations.push(
      `The state, waits and queries of other roles' sessions are hidden from ${access.user}: grant it pg_monitor (or pg_read_all_stats) to see them.`,
    )
  }
  const signaller = opts.signalDb ? await readAccess(opts.signalDb).catch(() => null) : access
  if (signaller && !signaller.signalBackend && !signaller.superuser) {
    // Said before anyone clicks: otherwise the first Cancel is where an operator learns it cannot work.
    limitations.push(
      `Cancel and Terminate cannot work with this login: ${signaller.user} is not a member of pg_signal_backend (a superuser can run GRANT pg_signal_backend TO ${quoteRole(signaller.user)};), and other superusers' sessions need a superuser.`,
    )
  }
  return {
    takenAt: rows[0]?.taken_at ?? new Date(),
    sessions,
    blocking: forest.roots.map(withLocks),
    counts: {
      total: sessions.length,
      clientBackends: client.length,
      active: client.filter((s) => s.state === 'active').length,
      idle: client.filter((s) => s.state === 'idle').length,
      idleInTransaction: client.filter((s) => s.idleInTransaction).length,
      waiting: sessions.filter((s) => s.blockedBy.length > 0).length,
      long: client.filter((s) => s.running === 'long').length,
      veryLong: client.filter((s) => s.running === 'very-long').length,
    },
    thresholds: { longSeconds, veryLongSeconds },
    limitations,
  }
}

function toSession(r: Row, rootBlocker: number | null, longSeconds: number, veryLongSeconds: number): Session {
  const state = r.state
  const idleInTransaction = state === 'idle in transaction' || state === 'idle in transaction (aborted)'
  const durationSeconds =
    state === 'active' ? r.query_seconds : idleInTransaction ? r.xact_seconds : state === 'idle' ? r.state_seconds : r.query_seconds
  const backendType = r.backend_type ?? 'unknown'
  // Only client sessions are judged: a WAL sender or an autovacuum worker is meant to run for long.
  const judged = backendType === 'client backend' && (state === 'active' || idleInTransaction)
  const running: RunningLevel =
    !judged || durationSeconds === null ? 'ok' : durationSeconds >= veryLongSeconds ? 'very-long' : durationSeconds >= longSeconds ? 'long' : 'ok'
  const query = r.query ?? ''
  const hidden = query === HIDDEN_QUERY
  return {
    pid: r.pid,
    leaderPid: r.leader_pid,
    database: r.datname,
    user: r.usename,
    superuser: r.rolsuper,
    applicationName: r.application_name ?? '',
    client: r.client_addr ?? r.client_hostname ?? (r.client_port === -1 ? 'local' : null),
    clientPort: r.client_port !== null && r.client_port >= 0 ? r.client_port : null,
    backendType,
    state,
    waitEventType: r.wait_event_type,
    waitEvent: r.wait_event,
    backendStart: r.backend_start,
    xactStart: r.xact_start,
    queryStart: r.query_start,
    stateChange: r.state_change,
    durationSeconds,
    queryPreview: query,
    queryLength: hidden ? 0 : (r.query_length ?? 0),
    queryTruncated: !hidden && (r.query_length ?? 0) > query.length,
    blockedBy: r.blocked_by ?? [],
    waitingFor: r.locktype ? lockWait(r) : null,
    rootBlocker,
    idleInTransaction,
    running,
    dashboard: isDashboardApplication(r.application_name),
    self: r.self,
    hidden,
  }
}

function lockWait(r: Row): LockWait {
  const rel = r.lock_relation ? `${r.lock_schema}.${r.lock_relation}` : 'a relation of another database'
  const what: Record<string, string> = {
    relation: `relation ${rel}`,
    extend: `extending relation ${rel}`,
    page: `page ${r.page} of ${rel}`,
    tuple: `row (${r.page},${r.tuple}) of ${rel}`,
    transactionid: `transaction ${r.xid}`,
    virtualxid: `virtual transaction ${r.virtualxid}`,
    advisory: 'an advisory lock',
    object: 'a database object',
  }
  return {
    lockType: r.locktype!,
    mode: r.mode!,
    schema: r.lock_schema,
    relation: r.lock_relation,
    page: r.page,
    tuple: r.tuple,
    transactionId: r.xid,
    virtualXid: r.virtualxid,
    description: `${r.mode} on ${what[r.locktype!] ?? r.locktype}`,
  }
}

export interface SessionQuery {
  pid: number
  state: string | null
  queryStart: Date | null
  /** The whole text the server kept (at most track_activity_query_size bytes). */
  query: string
  hidden: boolean
}

/** The full query text of one session, for "show the whole query". */
export async function getSessionQuery(db: Kysely<any>, pid: number): Promise<SessionQuery | null> {
  const { rows } = await sql<{ pid: number; state: string | null; query_start: Date | null; query: string | null }>`/* dor-db-admin */
    select pid, state, query_start, query from pg_stat_activity where pid = ${pid}::int
  `.execute(db)
  const r = rows[0]
  if (!r) return null
  return { pid: r.pid, state: r.state, queryStart: r.query_start, query: r.query ?? '', hidden: r.query === HIDDEN_QUERY }
}

/** A role name as GRANT takes it (quoted when it is not a plain lower-case name). */
function quoteRole(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`
}
