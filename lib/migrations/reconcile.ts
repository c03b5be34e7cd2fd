import { type Kysely, sql } from 'kysely'
import type { TargetIdentity } from '../db/target-identity'
import { readApplied } from './applied'
import type { MigrationSet } from './registry'
import type { StateDb } from '../state/state-db'

export interface ReconciledRun {
  runId: number
  /** Steps found done on the target although the history had no outcome for them. */
  done: string[]
  /** Steps not done on the target. */
  notDone: string[]
}

/**
 * Applies and rollbacks of this target still 'running' in the history while the caller holds the
 * run lock belong to a process that died or lost the state database mid-run. Their open steps get
 * the outcome the target's migration table shows, so that history, status and edit detection
 * agree with the target again; the run is closed as failed with what was found.
 */
export async function reconcileInterruptedRuns(
  state: StateDb,
  target: Kysely<any>,
  set: MigrationSet,
  identity: TargetIdentity,
): Promise<ReconciledRun[]> {
  const runs = await state
    .selectFrom('migration_run')
    .select('id')
    .where('target_key', '=', identity.key)
    .where('status', '=', 'running')
    .where('kind', 'in', ['apply', 'rollback'])
    .orderBy('id')
    .execute()
  if (runs.length === 0) return []
  const applied = new Set((await readApplied(target, set.table)).map((a) => a.name))
  const out: ReconciledRun[] = []
  for (const { id } of runs) {
    const runId = Number(id)
    const open = await state.selectFrom('migration_step').select(['id', 'name', 'direction']).where('run_id', '=', runId).where('status', '=', 'running').execute()
    const r: ReconciledRun = { runId, done: [], notDone: [] }
    await state.transaction().execute(async (trx) => {
      for (const s of open) {
        const done = s.direction === 'up' ? applied.has(s.name) : !applied.has(s.name)
        ;(done ? r.done : r.notDone).push(s.name)
        await trx
          .updateTable('migration_step')
          .set({
            status: done ? 'succeeded' : 'failed',
            error: done
              ? null
              : `Interrupted: not ${s.direction === 'up' ? 'applied' : 'rolled back'} on the target (found by reconciling with ${set.table}).`,
          })
          .where('id', '=', s.id)
          .execute()
      }
      const found = [
        r.done.length ? `${r.done.join(', ')} ${open.length === 1 ? 'was' : 'were'} done on the target` : '',
        r.notDone.length ? `${r.notDone.join(', ')} not` : '',
      ].filter(Boolean)
      await trx
        .updateTable('migration_run')
        .set({
          status: 'failed',
          error: sql`concat_ws(E'\n', error, ${`Interrupted before its end was recorded (the process died, or the state database was unavailable). Reconciled with ${set.table}${found.length ? `: ${found.join('; ')}` : ''}.`}::text)`,
        })
        .where('id', '=', runId)
        .execute()
    })
    out.push(r)
  }
  return out
}
