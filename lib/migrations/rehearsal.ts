import { type Kysely, type Migration, Migrator } from 'kysely'
import { fullDbError } from '../db/db-errors'
import { targetIdentity } from '../db/target-identity'
import { StaticMigrationProvider } from '../db/static-migration-provider'
import { readSchemaModel } from '../schema/catalog'
import { diffSnapshots, type SchemaChange } from '../schema/diff'
import { type SchemaSnapshot, toSnapshot } from '../schema/snapshot'
import { assertChainAdopted } from './management'
import type { MigrationSet } from './registry'
import { createRun, type RunActor, updateRun } from './run-store'
import { copySchema, createScratchDatabase, type ScratchDatabase } from './scratch-database'
import { migrationStatus } from './status'
import type { StateDb } from '../state/state-db'

export interface RehearsalStep {
  name: string
  /** up, down, up again each succeeded (or `error` says where it stopped). */
  ok: boolean
  /** down restored the schema exactly as before up. */
  downRestores: boolean | null
  /** up after down produced the same schema as the first up. */
  upRepeats: boolean | null
  /** What down left different from the schema before up. */
  downDiff: SchemaChange[]
  upAgainDiff: SchemaChange[]
  error?: string
  skipped?: string
}

export interface RehearsalResult {
  runId: number
  ok: boolean
  steps: RehearsalStep[]
  message: string
}

export function migratorFor(db: Kysely<any>, set: MigrationSet): Migrator {
  const index: Record<string, Migration> = {}
  for (const d of set.defs) index[d.name] = d.migration
  return new Migrator({
    db,
    provider: new StaticMigrationProvider(index),
    migrationTableName: set.table,
    migrationLockTableName: set.lockTable,
  })
}

async function snap(db: Kysely<any>): Promise<SchemaSnapshot> {
  return toSnapshot(await readSchemaModel(db, { sizes: false }))
}

/** Migration bookkeeping tables differ between the steps by design; they are not schema drift. */
function withoutBookkeeping(changes: SchemaChange[], set: MigrationSet): SchemaChange[] {
  return changes.filter((c) => c.table !== set.table && c.table !== set.lockTable)
}

async function rehearseOne(scratch: ScratchDatabase, set: MigrationSet, name: string): Promise<RehearsalStep> {
  const def = set.defs.find((d) => d.name === name)!
  const step: RehearsalStep = { name, ok: false, downRestores: null, upRepeats: null, downDiff: [], upAgainDiff: [] }
  const m = migratorFor(scratch.db, set)
  const move = async (dir: 'up' | 'down') => {
    const { error } = dir === 'up' ? await m.migrateUp() : await m.migrateDown()
    if (error) throw Object.assign(new Error(`${dir}: ${fullDbError(error)}`), { rehearsal: true })
  }
  try {
    const before = await snap(scratch.db)
    await move('up')
    const afterUp = await snap(scratch.db)
    if (def.irreversibleReason) {
      step.skipped = `down not rehearsed: ${def.irreversibleReason}`
      step.ok = true
      return step
    }
    await move('down')
    step.downDiff = withoutBookkeeping(diffSnapshots(before, await snap(scratch.db)).changes, set)
    step.downRestores = step.downDiff.length === 0
    await move('up')
    step.upAgainDiff = withoutBookkeeping(diffSnapshots(afterUp, await snap(scratch.db)).changes, set)
    step.upRepeats = step.upAgainDiff.length === 0
    step.ok = step.downRestores && step.upRepeats
  } catch (e) {
    step.error = (e as Error).message
  }
  return step
}

/**
 * The runbook's "test migration rollbacks": on a scratch copy of the target's schema, each pending
 * migration goes up, down and up again, and schema snapshots show whether down restores exactly.
 * The target is never touched; the scratch database is always dropped.
 */
export async function rehearseRollbacks(opts: {
  targetUrl: string
  target: Kysely<any>
  state: StateDb
  set: MigrationSet
  actor: RunActor
  pgBinDir: string
}): Promise<RehearsalResult> {
  const status = await migrationStatus(opts.target, opts.state, opts.set)
  assertChainAdopted(status.management)
  const runId = await createRun(opts.state, {
    kind: 'rehearsal',
    target: await targetIdentity(opts.target),
    actor: opts.actor,
    requested: { pending: status.pending },
  })
  let scratch: ScratchDatabase | null = null
  try {
    scratch = await createScratchDatabase(opts.targetUrl, 'rehearsal')
    await copySchema(opts.targetUrl, scratch, opts.pgBinDir, opts.set.table)
    const steps: RehearsalStep[] = []
    for (const name of status.pending) {
      const step = await rehearseOne(scratch, opts.set, name)
      steps.push(step)
      if (step.error) break
    }
    const ok = steps.every((s) => s.ok)
    const bad = steps.filter((s) => !s.ok).map((s) => s.name)
    const message =
      steps.length === 0
        ? 'Nothing pending to rehearse.'
        : ok
          ? `Rehearsed ${steps.length} migration${steps.length === 1 ? '' : 's'}: each down restores the schema and up repeats.`
          : `Rehearsal found problems in ${bad.join(', ')}.`
    await updateRun(opts.state, runId, { status: ok ? 'succeeded' : 'failed', report: { steps }, error: ok ? null : message })
    return { runId, ok, steps, message }
  } catch (e) {
    await updateRun(opts.state, runId, { status: 'failed', error: (e as Error).message })
    throw e
  } finally {
    await scratch?.drop()
  }
}
