import { type Kysely, sql } from 'kysely'
import type { RestrictedReader } from '../db/reader-login'
import { targetIdentity } from '../db/target-identity'
import { startIntegrityRun } from './run-job'
import { activeIntegrityRun } from './run-store'

/** True when no run of this database started within the last `hours` (0: never due). */
export async function scheduledRunDue(state: Kysely<any>, targetKey: string, hours: number): Promise<boolean> {
  if (hours <= 0) return false
  const { rows } = await sql<{ due: boolean }>`
    select not exists (
      select 1 from integrity_run where target_key = ${targetKey}
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
  const targetKey = (await targetIdentity(target)).key
  return state.transaction().execute(async (trx) => {
    const { rows } = await sql<{ ok: boolean }>`select pg_try_advisory_xact_lock(${0x44_6f_52}, 2) as ok`.execute(trx)
    if (!rows[0].ok) return null
    if (!(await scheduledRunDue(trx, targetKey, hours))) return null
    if (await activeIntegrityRun(trx, targetKey)) return null
    return startIntegrityRun(target, state, { startedBy: 'schedule', trigger: 'schedule', ...rules })
  })
}
