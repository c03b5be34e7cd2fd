import { type Migration, Migrator } from 'kysely'
import { ActionError } from '../auth/action-result'
import { createDb } from '../db/connect'
import { StaticMigrationProvider } from '../db/static-migration-provider'
import { readSchemaModel } from '../schema/catalog'
import { diffSnapshots, type SchemaChange } from '../schema/diff'
import { toSnapshot } from '../schema/snapshot'
import { describeChange, withoutBookkeeping } from './bookkeeping'
import type { MigrationSet } from './registry'
import { replayInto } from './replay'
import { withRunLock } from './run-lock'
import { createRun, finishStep, type RunActor, startStep, updateRun } from './run-store'
import { createScratchDatabase } from './scratch-database'
import { migrationStatus } from './status'
import type { StateDb } from '../state/state-db'

export interface BaselineOptions {
  targetUrl: string
  state: StateDb
  set: MigrationSet
  actor: RunActor
  /** The newest migration whose schema the database already has. */
  to: string
  /** Record it even though the live schema differs from what the chain builds. */
  acceptDifferences: boolean
}

export interface BaselineResult {
  runId: number
  /** Marked applied; false when refused because of differences. */
  recorded: boolean
  /** The migrations marked applied (or that would have been). */
  migrations: string[]
  /** From what the chain builds up to `to` to the live schema; kept with the baseline when accepted. */
  differences: SchemaChange[]
  message: string
}

/** Lines shown in a refusal; the run's report keeps all of them. */
const SHOWN = 30

/**
 * Adopts an existing database: marks the DoR chain applied up to `to` without running it, because
 * the schema is already there (built by hand, or by another tool). First the chain up to `to` is
 * replayed on a scratch database and its schema compared with the live one: equal, it is recorded;
 * different, it is refused with the differences, unless they are accepted, and then they are kept
 * with the baseline in the history. The migration table rows are written by Kysely's own migrator
 * (with migrations that do nothing), so later migrations apply on top as usual.
 */
export async function baselineChain(opts: BaselineOptions): Promise<BaselineResult> {
  return withRunLock(opts.targetUrl, opts.actor.label, async () => {
    const db = createDb(opts.targetUrl, { max: 2, applicationName: 'dbadmin baseline' })
    let runId: number | null = null
    try {
      const status = await migrationStatus(db, opts.state, opts.set)
      const index = opts.set.defs.findIndex((d) => d.name === opts.to)
      if (index < 0) throw new ActionError('invalid_input', `${opts.to} is not a migration of the chain.`)
      if (status.lastApplied) {
        throw new ActionError(
          'conflict',
          `${status.targetDatabase} already has DoR migrations applied (the newest is ${status.lastApplied}): a baseline is for a database without our history. Apply the pending ones instead.`,
        )
      }
      const plan = opts.set.defs.slice(0, index + 1)
      const unloadable = plan.filter((d) => d.loadError)
      if (unloadable.length) {
        throw new ActionError('conflict', `Cannot baseline: ${unloadable.map((d) => d.loadError!.message).join(' ')}`)
      }
      const names = plan.map((d) => d.name)
      runId = await createRun(opts.state, {
        kind: 'baseline',
        target: status.target,
        actor: opts.actor,
        requested: { to: opts.to, acceptDifferences: opts.acceptDifferences, plan: names },
      })

      const scratch = await createScratchDatabase(opts.targetUrl, 'baseline')
      let differences: SchemaChange[]
      try {
        const replay = await replayInto(scratch.db, opts.set, names)
        if (replay.failed) {
          throw new ActionError(
            'conflict',
            `Cannot baseline: the chain does not replay up to ${opts.to} on an empty database (${replay.failed.name} fails), so there is nothing to compare the live schema with.\n\n${replay.failed.error}`,
          )
        }
        const [expected, live] = await Promise.all([readSchemaModel(scratch.db, { sizes: false }), readSchemaModel(db, { sizes: false })])
        differences = withoutBookkeeping(diffSnapshots(toSnapshot(expected), toSnapshot(live)).changes, [opts.set.table, opts.set.lockTable])
      } finally {
        await scratch.drop()
      }

      if (differences.length && !opts.acceptDifferences) {
        const message =
          `Not recorded: the live schema differs from what the chain builds up to ${opts.to} in ${differences.length} place${differences.length === 1 ? '' : 's'}:\n` +
          differences.slice(0, SHOWN).map((c) => `  ${describeChange(c)}`).join('\n') +
          (differences.length > SHOWN ? `\n  … and ${differences.length - SHOWN} more (run #${runId})` : '') +
          '\nBring the schema in line, baseline an earlier migration, or accept the differences (they are kept with the baseline).'
        await updateRun(opts.state, runId, { status: 'refused', error: message, report: { baseline: true, to: opts.to, differences } })
        return { runId, recorded: false, migrations: names, differences, message }
      }

      const noop: Migration = { up: async () => {} }
      const migrator = new Migrator({
        db,
        provider: new StaticMigrationProvider(Object.fromEntries(names.map((n) => [n, noop]))),
        migrationTableName: opts.set.table,
        migrationLockTableName: opts.set.lockTable,
      })
      const { error } = await migrator.migrateTo(opts.to)
      if (error) throw error
      for (const [position, d] of plan.entries()) {
        const stepId = await startStep(opts.state, { runId, position, name: d.name, direction: 'up', checksum: d.checksum })
        await finishStep(opts.state, stepId, { ok: true })
      }
      const message = differences.length
        ? `Baselined ${names.length} migration${names.length === 1 ? '' : 's'} up to ${opts.to}, accepting ${differences.length} difference${differences.length === 1 ? '' : 's'} from the live schema (kept with run #${runId}).`
        : `Baselined ${names.length} migration${names.length === 1 ? '' : 's'} up to ${opts.to}: the live schema is exactly what the chain builds.`
      await updateRun(opts.state, runId, {
        status: 'succeeded',
        report: { baseline: true, to: opts.to, accepted: differences.length > 0, differences },
      })
      return { runId, recorded: true, migrations: names, differences, message }
    } catch (e) {
      if (runId !== null) {
        const refused = e instanceof ActionError
        await updateRun(opts.state, runId, { status: refused ? 'refused' : 'failed', error: (e as Error).message }).catch(() => {})
      }
      throw e
    } finally {
      await db.destroy()
    }
  })
}
