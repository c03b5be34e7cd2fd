import { type Kysely, sql } from 'kysely'
import type { RestrictedReader } from '../db/reader-login'
import { currentDatabase } from '../migrations/status'
import { startIntegrityRun } from './run-job'
import { activeIntegrityRun } from './run-store'

/** True when no run of this database started within the last `hours` (0: never due). */
export async function scheduledRunDue(state: Kysely<any>, targetDatabase: string, hours: number): Promise<boolean> {
  if (hours <= 0) return false
  const { rows } = await sql<{ due: boolean }>`
    select not exists (
      select 1 from integrity_run where target_database = ${targetDatabase}
        and started_at > now() - make_interval(secs => ${hours * 3600})
    ) as due
  `.execute(state)
  return rows[0].due
}

/**
 * One tick of the schedule: starts an unattended run when one is due. Several dashboard instances
 * may tick at once; a transaction-level advisory lock on the state database lets one decide.
 */
export async function scheduleTick(
  target: Kysely<any>,
  state: Kysely<any>,
  hours: number,
  rules: { reader?: RestrictedReader; ruleTimeoutMs?: number } = {},
): Promise<number | null> {
  const targetDatabase = await currentDatabase(target)
  return state.transaction().execute(async (trx) => {
    const { rows } = await sql<{ ok: boolean }>`select pg_try_advisory_xact_lock(${0x44_6f_52}, 2) as ok`.execute(trx)
    if (!rows[0].ok) return null
    if (!(await scheduledRunDue(trx, targetDatabase, hours))) return null
    if (await activeIntegrityRun(trx, targetDatabase)) return null
    return startIntegrityRun(target, state, { startedBy: 'schedule', trigger: 'schedule', ...rules })
  })
}
