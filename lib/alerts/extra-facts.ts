import { type Kysely, sql } from 'kysely'
import { countQueryFailures } from '../db/query-failures'
import { newlyFailing } from '../integrity/run-store'
import type { StateDb } from '../state/state-db'

/** Facts that are not in a sample: read at evaluation from the state database (and the target's sequences). */
export interface ExtraFacts {
  /** The fullest non-cycling sequence's share of its range; null when none is readable. */
  sequenceUse: number | null
  /** Checks of the latest finished integrity run with findings that were clean in the run before; null before any run. */
  newIntegrityFindings: number | null
  /** The dashboard's failed queries on the target in the window (lib/db/query-failures.ts). */
  dashboardFailedQueries: number | null
}

/** The failed-queries rule counts over this window, like the rollback ratio. */
export const QUERY_FAILURE_WINDOW_SECONDS = 300

/**
 * How far the fullest sequence is through its range. pg_sequences shows last_value only to roles
 * with USAGE or SELECT on the sequence, and null for one never used: those are left out, so a
 * monitoring login without those grants sees nothing to judge rather than a false alarm.
 */
export async function readSequenceUse(target: Kysely<any>): Promise<{ use: number; name: string } | null> {
  const { rows } = await sql<{ use: number; name: string }>`/* dor-db-admin */
    select (case when s.increment_by > 0 then (s.last_value::numeric - s.min_value) / (s.max_value::numeric - s.min_value)
                 else (s.max_value::numeric - s.last_value) / (s.max_value::numeric - s.min_value) end)::float8 as use,
           format('%I.%I', s.schemaname, s.sequencename) as name
    from pg_sequences s
    where s.last_value is not null and not s.cycle and s.max_value > s.min_value
    order by 1 desc limit 1
  `.execute(target)
  return rows[0] ?? null
}

/** The count of newly failing checks of the target's latest finished integrity run. */
export async function readNewIntegrityFindings(state: StateDb, targetKey: string): Promise<number | null> {
  const latest = await state
    .selectFrom('integrity_run')
    .select('id')
    .where('target_key', '=', targetKey)
    .where('status', '=', 'succeeded')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst()
  if (!latest) return null
  return (await newlyFailing(state, Number(latest.id), targetKey)).length
}

export async function readExtraFacts(state: StateDb, targetKey: string, at: Date, target?: Kysely<any>): Promise<ExtraFacts> {
  const [sequence, integrity, failures] = await Promise.all([
    // A target that refuses the read (pg_sequences hidden) leaves the rule with nothing to judge.
    target ? readSequenceUse(target).catch(() => null) : null,
    readNewIntegrityFindings(state, targetKey),
    countQueryFailures(state, targetKey, new Date(at.getTime() - QUERY_FAILURE_WINDOW_SECONDS * 1000), at),
  ])
  return { sequenceUse: sequence?.use ?? null, newIntegrityFindings: integrity, dashboardFailedQueries: failures.failures }
}
