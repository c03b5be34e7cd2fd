import { type Kysely, sql } from 'kysely'
import { isDashboardApplication } from './access'

export type SignalKind = 'cancel' | 'terminate'

export type SignalRefusal = 'not-found' | 'dashboard' | 'not-a-client' | 'superuser' | 'not-permitted' | 'failed'

export type SignalResult =
  | { ok: true; pid: number; kind: SignalKind; message: string }
  | { ok: false; pid: number; kind: SignalKind; code: SignalRefusal; reason: string }

export interface SignalOptions {
  /** pg_terminate_backend waits this long for the session to end (PostgreSQL 14+); default 5 s. */
  terminateWaitMs?: number
}

interface Target {
  pid: number
  usename: string | null
  target_super: boolean | null
  application_name: string | null
  backend_type: string | null
  is_self: boolean
  me: string
  me_super: boolean
  me_signal: boolean
  me_member: boolean | null
  version_num: number
}

/**
 * Cancels the running statement of a session (pg_cancel_backend): the session stays connected.
 * Refused, with the reason, for the dashboard's own connections, for processes that are not client
 * sessions, for superusers' sessions unless the dashboard's role is a superuser, and where the role
 * lacks pg_signal_backend; PostgreSQL enforces the same rules again when it signals.
 */
export function cancelBackend(db: Kysely<any>, pid: number, opts: SignalOptions = {}): Promise<SignalResult> {
  return signal(db, 'cancel', pid, opts)
}

/** Ends a session (pg_terminate_backend), rolling back its transaction; same refusals as cancel. */
export function terminateBackend(db: Kysely<any>, pid: number, opts: SignalOptions = {}): Promise<SignalResult> {
  return signal(db, 'terminate', pid, opts)
}

async function signal(db: Kysely<any>, kind: SignalKind, pid: number, opts: SignalOptions): Promise<SignalResult> {
  const refuse = (code: SignalRefusal, reason: string): SignalResult => ({ ok: false, pid, kind, code, reason })
  if (!Number.isInteger(pid) || pid <= 0 || pid > 2 ** 31 - 1) return refuse('not-found', `${pid} is not a process id.`)

  const { rows } = await sql<Target>`/* dor-db-admin */
    select a.pid, a.usename, r.rolsuper as target_super, a.application_name, a.backend_type,
           a.pid = pg_backend_pid() as is_self,
           current_user as me, me.rolsuper as me_super,
           pg_has_role('pg_signal_backend', 'USAGE') as me_signal,
           case when a.usesysid is not null then pg_has_role(a.usesysid, 'USAGE') end as me_member,
           current_setting('server_version_num')::int as version_num
    from pg_stat_activity a
    left join pg_roles r on r.oid = a.usesysid
    cross join (select rolsuper from pg_roles where rolname = current_user) me
    where a.pid = ${pid}::int
  `.execute(db)
  const t = rows[0]
  if (!t) return refuse('not-found', `There is no session with pid ${pid} (it may have ended).`)
  if (t.is_self || isDashboardApplication(t.application_name)) {
    return refuse('dashboard', `Session ${pid} is one of the dashboard's own connections (${t.application_name || 'this query'}); it is never ${kind === 'cancel' ? 'cancelled' : 'terminated'} from here.`)
  }
  if (t.target_super && !t.me_super) {
    return refuse(
      'superuser',
      `Session ${pid} belongs to the superuser ${t.usename}; only a superuser may signal it, and the dashboard connects as ${t.me}.`,
    )
  }
  if (!t.me_super && !t.me_signal && !t.me_member) {
    return refuse(
      'not-permitted',
      `The dashboard's role ${t.me} may not signal ${t.usename}'s sessions: grant it pg_signal_backend.`,
    )
  }
  // backend_type is hidden (null) from roles without pg_read_all_stats; the server still checks then.
  if (t.backend_type !== null && t.backend_type !== 'client backend') {
    return refuse('not-a-client', `Process ${pid} is a ${t.backend_type} process, not a client session.`)
  }

  try {
    const waitMs = opts.terminateWaitMs ?? 5000
    const result =
      kind === 'cancel'
        ? await sql<{ ok: boolean }>`/* dor-db-admin */ select pg_cancel_backend(${pid}::int) as ok`.execute(db)
        : t.version_num >= 140000
          ? await sql<{ ok: boolean }>`/* dor-db-admin */ select pg_terminate_backend(${pid}::int, ${waitMs}::bigint) as ok`.execute(db)
          : await sql<{ ok: boolean }>`/* dor-db-admin */ select pg_terminate_backend(${pid}::int) as ok`.execute(db)
    if (!result.rows[0]?.ok) {
      return refuse(
        'failed',
        kind === 'terminate'
          ? `Session ${pid} did not end within ${waitMs / 1000} s (or had already ended).`
          : `Session ${pid} could not be signalled; it may have ended.`,
      )
    }
  } catch (e) {
    const err = e as { code?: string; message?: string }
    return refuse(err.code === '42501' ? 'not-permitted' : 'failed', `PostgreSQL refused: ${err.message ?? String(e)}`)
  }
  return {
    ok: true,
    pid,
    kind,
    message:
      kind === 'cancel'
        ? `Asked session ${pid} (${t.usename}) to cancel its statement; the session stays connected.`
        : `Session ${pid} (${t.usename}) was terminated; its open transaction was rolled back.`,
  }
}
