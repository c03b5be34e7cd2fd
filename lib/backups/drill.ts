import { createDb, withDatabase } from '../db/connect'
import { relationsToCheck } from '../integrity/relations'
import { claimScratchName } from '../migrations/scratch-database'
import { BackupError } from './backup-error'
import { recordVerification, requireBackup } from './catalogue'
import { type DrillOrphans, type DrillTable, drillChecks } from './drill-checks'
import { EarlyOrphanScans } from './early-orphan-scans'
import { describeTarget, dropRestoreDatabase } from './restore-database'
import { restoreBackup, type RestoreOptions } from './restore'
import { restoreStatsSettled } from './restore-stats'
import type { StateDb } from '../state/state-db'

export type { DrillOrphans, DrillTable }

const DRILL_APPLICATION = 'dbadmin restore drill'

export type DrillOptions = Omit<RestoreOptions, 'into' | 'createdBy' | 'safetyEncryption' | 'onItemFinished'>

export interface DrillResult {
  backupId: string
  ok: boolean
  /** The scratch database it restored into (dropped again). */
  database: string
  restoreMs: number
  checkMs: number
  tables: DrillTable[]
  orphans: DrillOrphans[]
  problems: string[]
  error: string | null
}

/**
 * A restore drill: restores the backup into a scratch database on the target's server, compares
 * each table's rows with the exact counts recorded at backup time, runs the integrity orphan checks
 * on the restored copy (NOT VALID foreign keys, the target's accepted soft relations, suggestions; the validated
 * foreign keys were checked by the restore itself), and drops it again. The result is recorded on
 * the backup; a drill that finds a problem returns it, it does not throw. The accepted soft
 * relations' scans start as soon as their tables' data are in (`EarlyOrphanScans`), in the time
 * the restore spends on indexes and constraints; the row counts are the restore's own inserts
 * (`DrillCheckOptions.insertedRows`).
 */
export async function restoreDrill(state: StateDb, backupId: string, o: DrillOptions): Promise<DrillResult> {
  const { key } = await describeTarget(o.targetUrl)
  const b = await requireBackup(state, key, backupId)
  // Owned while it exists, so that another check's cleanup does not take it for a dead one's leftover.
  const claim = await claimScratchName(o.targetUrl, 'drill')
  const name = claim.name
  const result: DrillResult = { backupId, ok: false, database: name, restoreMs: 0, checkMs: 0, tables: [], orphans: [], problems: [], error: null }
  const started = Date.now()
  // Made before the database exists: it connects at the first query, when the restore's first table data are in.
  const db = createDb(withDatabase(o.targetUrl, name), { max: 2, applicationName: DRILL_APPLICATION })
  const early = new EarlyOrphanScans(db, async () => (await relationsToCheck(db, state, key)).filter((r) => r.source === 'soft'))
  try {
    await restoreBackup(state, backupId, { ...o, into: { newDatabase: name }, createdBy: 'restore drill', onItemFinished: (e, toc) => early.itemFinished(e, toc) })
    early.stop()
    result.restoreMs = Date.now() - started
    o.onProgress?.({ phase: 'checking' })
    const insertedRows = await restoreStatsSettled(db, DRILL_APPLICATION)
    const checked = await drillChecks(db, b.rowCounts, await relationsToCheck(db, state, key), { insertedRows, earlyOrphans: (rel) => early.resultFor(rel) })
    result.orphans = checked.orphans
    if (b.rowCounts) {
      result.tables = checked.tables
      for (const t of result.tables.filter((t) => !t.ok)) {
        result.problems.push(
          t.actual === null
            ? `${t.schema}.${t.table} is missing from the restore (${t.expected} rows at backup time).`
            : `${t.schema}.${t.table} has ${t.actual} rows after the restore, ${t.expected} at backup time.`,
        )
      }
    } else {
      result.problems.push(...(b.kind === 'schema' ? [] : ['No row counts were recorded for this backup (an upload): only the restore itself and the orphan checks were run.']))
    }
    result.checkMs = Date.now() - started - result.restoreMs
    // Orphans of soft relations and suggestions are the data's own (the target has them too): shown, not failures.
    result.ok = !result.tables.some((t) => !t.ok)
  } catch (e) {
    if (o.signal?.aborted) throw e
    if (e instanceof BackupError && ['not_found', 'tool_too_old', 'tool_missing', 'decrypt_failed'].includes(e.backupCode)) throw e
    result.error = (e as Error).message
    result.problems.push(`The drill failed: ${result.error}`)
  } finally {
    await early.settle()
    await db.destroy().catch(() => {})
    await dropRestoreDatabase(o.targetUrl, name).catch(() => {})
    await claim.release()
  }
  await recordVerification(state, backupId, { kind: 'drill', ok: result.ok, error: result.ok ? null : result.problems.join('\n'), detail: result })
  return result
}
