import type pg from 'pg'
import { LOCK_TIMEOUT_ADVICE } from '../db/db-errors'

export interface LockBlocker {
  pid: number
  application: string
  state: string | null
  /** The blocker's current (or, when idle in a transaction, last) statement. */
  query: string
  since: Date | null
}

/** What a migration session was waiting for when last seen waiting. */
export interface LockWait {
  /** `schema.table` for a relation lock, else null (a row or transaction lock). */
  relation: string | null
  locktype: string
  mode: string
  blockers: LockBlocker[]
}

/**
 * The lock `pid` waits for and who holds it (pg_blocking_pids), read from another session: the
 * waiting one cannot ask while it waits, and once lock_timeout cancels it the wait is gone.
 */
export async function readLockWait(client: pg.Client, pid: number): Promise<LockWait | null> {
  const { rows } = await client.query<{
    relation: string | null
    locktype: string
    mode: string
    blockers: { pid: number; application: string; state: string | null; query: string; since: string | null }[]
  }>(
    `select case when c.oid is not null then format('%I.%I', n.nspname, c.relname) end as relation, l.locktype, l.mode,
            coalesce((select json_agg(json_build_object('pid', a.pid, 'application', a.application_name, 'state', a.state,
                                                        'query', a.query, 'since', coalesce(a.xact_start, a.query_start)) order by a.pid)
                        from pg_stat_activity a where a.pid = any(pg_blocking_pids(l.pid))), '[]') as blockers
       from pg_locks l
       left join pg_class c on l.locktype = 'relation' and c.oid = l.relation
       left join pg_namespace n on n.oid = c.relnamespace
      where l.pid = $1 and not l.granted
      limit 1`,
    [pid],
  )
  const r = rows[0]
  if (!r) return null
  return { ...r, blockers: r.blockers.map((b) => ({ ...b, since: b.since ? new Date(b.since) : null })) }
}

/**
 * Samples what `pid` waits for every `everyMs` until stop(), which returns the last wait seen:
 * a lock_timeout error can then say which table and which session it waited for.
 */
export function watchLockWaits(client: pg.Client, pid: number, everyMs: number) {
  let last: LockWait | null = null
  let sampling: Promise<void> = Promise.resolve()
  const timer = setInterval(() => {
    sampling = sampling.then(async () => {
      try {
        last = (await readLockWait(client, pid)) ?? last
      } catch {
        // The watcher only adds detail to an error: losing a sample must not fail the run.
      }
    })
  }, everyMs)
  return {
    async stop(): Promise<LockWait | null> {
      clearInterval(timer)
      await sampling
      return last
    },
  }
}

function ago(since: Date | null): string {
  if (!since) return ''
  const s = Math.max(0, Math.round((Date.now() - since.getTime()) / 1000))
  return s < 120 ? `${s} s` : `${Math.round(s / 60)} min`
}

function describeBlocker(b: LockBlocker): string {
  const app = b.application ? `${b.application}, ` : ''
  const since = b.since ? `, for ${ago(b.since)}` : ''
  const query = b.query.replace(/\s+/g, ' ').trim().slice(0, 300)
  const doing = b.state === 'active' ? 'running' : 'last statement'
  return `pid ${b.pid} (${app}${b.state ?? 'state unknown'}${since}) ${doing}: ${query || '(none)'}`
}

/** The advice of a lock_timeout error, naming the table and the sessions that held it. */
export function lockTimeoutAdvice(wait: LockWait, lockTimeoutMs: number): string {
  const what = wait.relation ? `${wait.mode} on table ${wait.relation}` : `a ${wait.locktype} lock (${wait.mode})`
  const holders = wait.blockers.length
    ? `, held by ${wait.blockers.map(describeBlocker).join('; ')}`
    : ' (its holder had already let go when it was seen)'
  const cancel = wait.blockers.length ? ` (select pg_cancel_backend(${wait.blockers[0].pid}) ends its statement)` : ''
  return `It waited longer than lock_timeout (${lockTimeoutMs} ms) for ${what}${holders}. Nothing was changed; wait for that session to finish or end it${cancel}, then try again.`
}

/** A migration step's error text with the generic lock_timeout advice replaced by what was seen. */
export function withLockWait(message: string, wait: LockWait | null, lockTimeoutMs: number): string {
  if (!wait || !message.includes('SQLSTATE 55P03')) return message
  return message.includes(LOCK_TIMEOUT_ADVICE)
    ? message.replace(LOCK_TIMEOUT_ADVICE, lockTimeoutAdvice(wait, lockTimeoutMs))
    : `${message}\n${lockTimeoutAdvice(wait, lockTimeoutMs)}`
}
