import { type Kysely, sql } from 'kysely'
import { readIndexFindings } from '../performance/index-findings'
import type { StateDb } from '../state/state-db'

/** The Indexes page's findings as the Overview's index line counts them. */
export interface IndexCounts {
  invalid: number
  /** Duplicate and redundant indexes. */
  duplicate: number
  unused: number
}

export interface IndexSummary extends IndexCounts {
  checkedAt: Date
  /** Whether this load listed the indexes (false: the stored counts still hold). */
  fresh: boolean
}

/** Counts are listed again at least this often, even when the fingerprint did not change. */
export const INDEX_SUMMARY_MAX_AGE_MS = 3600_000

/** The findings of the Indexes page (lib/performance/index-findings.ts), counted by kind. */
export async function countIndexFindings(target: Kysely<any>): Promise<IndexCounts> {
  const { findings } = await readIndexFindings(target)
  const count = (kinds: string[]) => findings.filter((f) => kinds.includes(f.kind)).length
  return { invalid: count(['invalid']), duplicate: count(['duplicate', 'redundant']), unused: count(['unused']) }
}

/**
 * What the counts depend on, in one pass over pg_index and the index statistics: which indexes
 * exist (their oids), which are not valid, ready or live, and how many have no scan. A created,
 * dropped, rebuilt or invalidated index, or one scanned for the first time (or reset to none),
 * changes it; an ordinary scan of an index already used does not.
 */
export async function indexFingerprint(target: Kysely<any>): Promise<string> {
  const { rows } = await sql<{ f: string }>`/* dor-db-admin */
    select concat_ws(':',
             count(*),
             sum(i.indexrelid::int8),
             count(*) filter (where not (i.indisvalid and i.indisready and i.indislive)),
             count(*) filter (where coalesce(pg_stat_get_numscans(i.indexrelid), 0) = 0)) as f
    from pg_index i
  `.execute(target)
  return rows[0].f
}

/**
 * The index line's counts: the stored ones while the catalogue's fingerprint is unchanged and they
 * are under an hour old, else listed again (every index, 130 ms at 1,000 tables: bench/perf-pages.bench.ts)
 * and stored for the next Overview load, whichever process or instance makes it.
 */
export async function indexSummary(state: StateDb, target: Kysely<any>, targetKey: string, now: Date = new Date()): Promise<IndexSummary> {
  const [fingerprint, stored] = await Promise.all([
    indexFingerprint(target),
    state.selectFrom('overview_index_summary').selectAll().where('target_key', '=', targetKey).executeTakeFirst(),
  ])
  if (stored && stored.fingerprint === fingerprint && now.getTime() - stored.checked_at.getTime() < INDEX_SUMMARY_MAX_AGE_MS) {
    return { invalid: stored.invalid, duplicate: stored.duplicate, unused: stored.unused, checkedAt: stored.checked_at, fresh: false }
  }
  const counts = await countIndexFindings(target)
  await state
    .insertInto('overview_index_summary')
    .values({ target_key: targetKey, fingerprint, checked_at: now, ...counts })
    .onConflict((oc) => oc.column('target_key').doUpdateSet({ fingerprint, checked_at: now, ...counts }))
    .execute()
  return { ...counts, checkedAt: now, fresh: true }
}
