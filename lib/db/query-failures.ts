import { sql } from 'kysely'
import type { StateDb } from '../state/state-db'

/**
 * The dashboard's own failed queries on the managed database (statement timeouts, refused
 * permissions, lost connections): counted in this process by the pools made with
 * `countFailures` (lib/db/connect.ts), then added to the state database by minute, where the alert
 * rule reads them whichever process evaluates it.
 */
interface Tally {
  pending: number
  lastError: string | null
  sink: (() => Promise<void>) | null
  timer: NodeJS.Timeout | null
  total: number
}

// One per process: Next may load this module once per bundle layer.
const holder = globalThis as unknown as { __dbadminQueryFailures?: Tally }
const tally = (holder.__dbadminQueryFailures ??= { pending: 0, lastError: null, sink: null, timer: null, total: 0 })

/** How long failures wait in memory before they are written (several in a burst make one write). */
export const FAILURE_FLUSH_DELAY_MS = 5_000

/** A query of a counting pool failed. */
export function noteQueryFailure(error: unknown): void {
  tally.pending++
  tally.total++
  const e = error as { code?: string; message?: string }
  // Only the SQLSTATE and the first line: a message may quote values.
  tally.lastError = `${e?.code ? `${e.code} ` : ''}${String(e?.message ?? error).split('\n')[0]}`.slice(0, 200)
  if (tally.sink && !tally.timer) {
    tally.timer = setTimeout(() => {
      tally.timer = null
      tally.sink?.().catch(() => undefined)
    }, FAILURE_FLUSH_DELAY_MS)
    tally.timer.unref()
  }
}

/** Failures counted in this process since it started (written or not). */
export function processQueryFailures(): number {
  return tally.total
}

/**
 * Where this process writes its failures (the web server: its state database and target); without
 * one they stay in memory until someone calls flushQueryFailures.
 */
export function setQueryFailureSink(sink: (() => Promise<void>) | null): void {
  tally.sink = sink
}

/** Adds the failures not yet written to this minute's row of the target. */
export async function flushQueryFailures(state: StateDb, targetKey: string, at: Date = new Date()): Promise<number> {
  const n = tally.pending
  if (n === 0) return 0
  tally.pending = 0
  try {
    await recordQueryFailures(state, targetKey, n, tally.lastError, at)
    // The rule reads five minutes; a day is kept for whoever looks into it.
    await pruneQueryFailures(state, targetKey, new Date(at.getTime() - 86_400_000))
  } catch (e) {
    tally.pending += n
    throw e
  }
  return n
}

/** Adds `n` failures to the minute of `at` (also used by tests and other processes' counts). */
export async function recordQueryFailures(state: StateDb, targetKey: string, n: number, lastError: string | null, at: Date = new Date()): Promise<void> {
  // One statement: the minute's row (the alert rule's window) and the running total (the sampler's counter) move together.
  await sql`
    with total as (
      insert into dashboard_query_failure_total (target_key, failures) values (${targetKey}, ${n})
      on conflict (target_key) do update set failures = dashboard_query_failure_total.failures + excluded.failures
    )
    insert into dashboard_query_failure (target_key, minute, failures, last_error)
    values (${targetKey}, date_trunc('minute', ${at}::timestamptz), ${n}, ${lastError})
    on conflict (target_key, minute) do update
      set failures = dashboard_query_failure.failures + excluded.failures,
          last_error = coalesce(excluded.last_error, dashboard_query_failure.last_error)
  `.execute(state)
}

/**
 * The target's failed dashboard queries ever written: a cumulative counter, which the sampler keeps
 * with each sample (lib/metrics/take-sample.ts) and charts as the difference between two samples.
 */
export async function totalQueryFailures(state: StateDb, targetKey: string): Promise<number> {
  const row = await state.selectFrom('dashboard_query_failure_total').select('failures').where('target_key', '=', targetKey).executeTakeFirst()
  return row ? Number(row.failures) : 0
}

/** The target's failed dashboard queries in the minutes from `since` to `until`. */
export async function countQueryFailures(state: StateDb, targetKey: string, since: Date, until: Date = new Date()): Promise<{ failures: number; lastError: string | null }> {
  const { rows } = await sql<{ failures: number | null; last_error: string | null }>`
    select sum(failures)::int as failures,
           (select last_error from dashboard_query_failure
             where target_key = ${targetKey} and minute >= date_trunc('minute', ${since}::timestamptz) and minute <= ${until}
             order by minute desc limit 1) as last_error
    from dashboard_query_failure
    where target_key = ${targetKey} and minute >= date_trunc('minute', ${since}::timestamptz) and minute <= ${until}
  `.execute(state)
  return { failures: rows[0].failures ?? 0, lastError: rows[0].last_error }
}

/** A target's rows older than `before` go. */
export async function pruneQueryFailures(state: StateDb, targetKey: string, before: Date): Promise<void> {
  await state.deleteFrom('dashboard_query_failure').where('target_key', '=', targetKey).where('minute', '<', before).execute()
}
