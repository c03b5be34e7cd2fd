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
  /** Why a fact is missing or partial: the rules judging it show this (e.g. sequences the login cannot see). */
  notices: Partial<Record<'sequenceUse', string>>
}

/** The failed-queries rule counts over this window, like the rollback ratio. */
export const QUERY_FAILURE_WINDOW_SECONDS = 300

export interface SequenceUse {
  /** The fullest readable sequence's share of its range, and its name; null when none is readable. */
  use: number | null
  name: string | null
  /** Non-cycling sequences whose values this login may not see (no USAGE or SELECT on them). */
  hidden: number
  total: number
  /** The login that read them (current_user): who needs the grant. */
  role: string
}

/**
 * How far the fullest sequence is through its range. pg_sequences shows last_value only to roles
 * with USAGE or SELECT on the sequence (and null for one never used): a hidden one is counted, so
 * the rule can say it cannot see it instead of staying silent as if all were well.
 */
export async function readSequenceUse(target: Kysely<any>): Promise<SequenceUse> {
  const { rows } = await sql<SequenceUse>`/* dor-db-admin */
    with seqs as (
      select s.schemaname, s.sequencename, s.last_value, s.increment_by, s.min_value, s.max_value,
             has_sequence_privilege(format('%I.%I', s.schemaname, s.sequencename), 'USAGE, SELECT') as visible
      from pg_sequences s
      where not s.cycle and s.max_value > s.min_value
    )
    select top.use, top.name, counts.hidden, counts.total, current_user as role
    from (select (count(*) filter (where not visible))::int as hidden, count(*)::int as total from seqs) counts
    left join lateral (
      select (case when increment_by > 0 then (last_value::numeric - min_value) / (max_value::numeric - min_value)
                   else (max_value::numeric - last_value) / (max_value::numeric - min_value) end)::float8 as use,
             format('%I.%I', schemaname, sequencename) as name
      from seqs where last_value is not null
      order by 1 desc limit 1
    ) top on true
  `.execute(target)
  return rows[0]
}

/** What the sequence rule says when the login cannot see some sequences' values (null when it sees them all). */
export function sequenceNotice(seq: Pick<SequenceUse, 'hidden' | 'total' | 'role'>): string | null {
  if (seq.hidden === 0) return null
  const which = seq.hidden === seq.total ? `any of the ${seq.total} sequences'` : `${seq.hidden} of ${seq.total} sequences'`
  return (
    `Cannot see ${which} values as ${seq.role}, so ${seq.hidden === seq.total ? 'this rule cannot fire' : 'those are not judged'}: ` +
    `grant SELECT on them (GRANT SELECT ON ALL SEQUENCES IN SCHEMA … TO ${seq.role}, which reads but cannot advance them), ` +
    'or point MONITOR_DATABASE_URL at a login that has it.'
  )
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
    target
      ? readSequenceUse(target).catch((e: unknown) => ({ failed: e instanceof Error ? e.message : String(e) }))
      : null,
    readNewIntegrityFindings(state, targetKey),
    countQueryFailures(state, targetKey, new Date(at.getTime() - QUERY_FAILURE_WINDOW_SECONDS * 1000), at),
  ])
  const notices: ExtraFacts['notices'] = {}
  if (sequence && 'failed' in sequence) notices.sequenceUse = `Cannot read pg_sequences: ${sequence.failed}`
  else if (sequence) {
    const notice = sequenceNotice(sequence)
    if (notice) notices.sequenceUse = notice
  }
  return {
    sequenceUse: sequence && !('failed' in sequence) ? sequence.use : null,
    newIntegrityFindings: integrity,
    dashboardFailedQueries: failures.failures,
    notices,
  }
}
