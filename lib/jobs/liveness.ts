import { type Kysely, type RawBuilder, sql } from 'kysely'
import type pg from 'pg'
import { openSession } from '../db/connect'

/**
 * Whether a job's worker is alive, exactly and at once: the worker running a job holds a
 * session-level advisory lock on the state database, on a session of its own, keyed by the job's
 * row id (table `job`), for as long as it runs the job. PostgreSQL frees the lock when that
 * session ends, however the process ended (kill -9, crash, lost network), so "alive" is "the lock
 * is held", with no heartbeat to wait out. pg-boss only learns of a dead worker when the job's
 * expiry passes; this lock tells the Jobs page, the kinds' pages and the next start at once.
 */

// The first half of the two-part advisory key ('JOB' and 3), apart from the migration run lock's
// key and from the keys of the per-kind tables that held these locks before the queue.
const JOB_KEY = 0x4a_4f_42_03

/** The part of the key a row id gives: advisory keys are int4. */
function idKey(id: number): number {
  if (!Number.isSafeInteger(id) || id < 1 || id > 0x7fff_ffff) throw new Error(`job id ${id} does not fit an advisory lock key`)
  return id
}

/** SQL: whether some session holds the liveness lock of job `id` (a column or a value). */
export function jobAlive(id: RawBuilder<unknown> | number): RawBuilder<boolean> {
  // pg_locks lists the advisory locks of every database of the cluster: keep to this one.
  return sql<boolean>`exists (select 1 from pg_locks l
    where l.locktype = 'advisory' and l.granted and l.objsubid = 2
      and l.database = (select d.oid from pg_database d where d.datname = current_database())
      and l.classid = ${JOB_KEY}::int8::oid and l.objid = (${id})::int8::oid)`
}

export async function isJobAlive(state: Kysely<any>, id: number): Promise<boolean> {
  const { rows } = await sql<{ alive: boolean }>`select ${jobAlive(idKey(id))} as alive`.execute(state)
  return rows[0].alive
}

/** The session holding one job's liveness lock. */
export interface JobLiveness {
  /** Takes the lock of a job; false when another session holds it (a worker still running it). */
  hold(id: number): Promise<boolean>
  /** True once the session was lost: others now see the job as dead, so it should stop. */
  readonly lost: boolean
  /** Ends the session, and so frees the lock. */
  release(): Promise<void>
}

export async function openJobLiveness(state: Kysely<any>, label: string): Promise<JobLiveness> {
  let lost = false
  const client: pg.Client = await openSession(state, { applicationName: `dbadmin job: ${label}`.slice(0, 63), onError: () => (lost = true) })
  client.on('end', () => (lost = true))
  let released = false
  return {
    async hold(id) {
      const { rows } = await client.query<{ ok: boolean }>('select pg_try_advisory_lock($1, $2) as ok', [JOB_KEY, idKey(id)])
      return rows[0].ok
    },
    get lost() {
      return lost && !released
    },
    async release() {
      released = true
      await client.end().catch(() => {})
    },
  }
}
