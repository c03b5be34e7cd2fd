import { type Kysely, type Migration, Migrator } from 'kysely'
import { ActionError } from '../auth/action-result'
import { createDb } from '../db/connect'
import { fullDbError } from '../db/db-errors'
import { StaticMigrationProvider } from '../db/static-migration-provider'
import { takeSnapshot } from '../schema/take-snapshot'
import type { MigrationDef, MigrationSet } from './registry'
import { withRunLock } from './run-lock'
import { createRun, finishStep, type RunActor, startStep, updateRun } from './run-store'
import { migrationStatus } from './status'

export interface RunOptions {
  targetUrl: string
  state: Kysely<any>
  set: MigrationSet
  actor: RunActor
  lockTimeoutMs: number
  statementTimeoutMs: number
  /** Schema snapshots before and after (default on). */
  snapshots?: boolean
  /** Called before the first migration runs (a backup); returns what to link in the history. */
  beforeApply?: (runId: number) => Promise<string | null>
}

export interface StepResult {
  name: string
  direction: 'up' | 'down'
  ok: boolean
  error?: string
}

export interface RunResult {
  runId: number
  ok: boolean
  steps: StepResult[]
  /** Pending migrations that were planned but not run because an earlier one failed. */
  notRun: string[]
  message: string
}

export type ApplyRequest = { to: string } | { next: true } | { all: true }

/**
 * A migrator whose run of `def` stores what `def` itself threw in `failure`: when the session is
 * lost mid-migration, the migrator reports the failed ROLLBACK ('not queryable') instead.
 */
function migrator(db: Kysely<any>, set: MigrationSet, def: MigrationDef, failure: { error?: unknown }): Migrator {
  const index: Record<string, Migration> = {}
  for (const d of set.defs) index[d.name] = d.migration
  const catching = (run: (db: Kysely<any>) => Promise<void>) => (db: Kysely<any>) =>
    run(db).catch((e: unknown) => {
      failure.error = e
      throw e
    })
  const { up, down } = def.migration
  index[def.name] = { up: catching(up), ...(down ? { down: catching(down) } : {}) }
  return new Migrator({
    db,
    provider: new StaticMigrationProvider(index),
    migrationTableName: set.table,
    migrationLockTableName: set.lockTable,
    // A migration declared non-transactional (CREATE INDEX CONCURRENTLY…) cannot run inside one.
    disableTransactions: !def.transactional,
  })
}

/** The migrations an apply request selects from the pending ones, refusing what cannot run. */
export function planApply(pending: string[], lastApplied: string | null, request: ApplyRequest): string[] {
  let plan = pending
  if ('to' in request) {
    const i = pending.indexOf(request.to)
    if (i < 0) throw new ActionError('invalid_input', `${request.to} is not a pending migration.`)
    plan = pending.slice(0, i + 1)
  } else if ('next' in request) plan = pending.slice(0, 1)
  if (plan.length === 0) throw new ActionError('conflict', 'Nothing to apply: every migration is applied.')
  const early = lastApplied ? plan.filter((n) => n < lastApplied) : []
  if (early.length) {
    throw new ActionError(
      'conflict',
      `${early.join(', ')} ${early.length === 1 ? 'is' : 'are'} older than the newest applied migration (${lastApplied}); rename with a newer timestamp before applying.`,
    )
  }
  return plan
}

/**
 * Holds the run lock, opens a session with lock_timeout/statement_timeout, records the run with
 * snapshots before and after, and runs `steps` one migration at a time, each in its own
 * transaction (unless declared otherwise), stopping at the first failure.
 */
async function executeRun(
  opts: RunOptions,
  kind: 'apply' | 'rollback',
  prepare: (db: Kysely<any>) => Promise<{ plan: MigrationDef[]; requested: unknown; targetDatabase: string }>,
): Promise<RunResult> {
  return withRunLock(opts.targetUrl, opts.actor.label, async () => {
    const db = createDb(opts.targetUrl, {
      max: 1,
      applicationName: `dbadmin migrate: ${opts.actor.label}`.slice(0, 63),
      statementTimeoutMs: opts.statementTimeoutMs,
      lockTimeoutMs: opts.lockTimeoutMs,
    })
    let runId: number | null = null
    try {
      const { plan, requested, targetDatabase } = await prepare(db)
      runId = await createRun(opts.state, { kind, targetDatabase, actor: opts.actor, requested })
      const by = { takenById: opts.actor.id ?? null, takenBy: opts.actor.label }
      if (opts.snapshots !== false) {
        const before = await takeSnapshot(db, opts.state, { ...by, reason: `before ${kind} run #${runId}` })
        await updateRun(opts.state, runId, { snapshotBeforeId: before.id })
      }
      if (kind === 'apply' && opts.beforeApply) {
        await updateRun(opts.state, runId, { backupPath: await opts.beforeApply(runId) })
      }
      const direction = kind === 'apply' ? 'up' : 'down'
      const steps: StepResult[] = []
      for (const [position, def] of plan.entries()) {
        const stepId = await startStep(opts.state, { runId, position, name: def.name, direction, checksum: def.checksum })
        const failure: { error?: unknown } = {}
        const m = migrator(db, opts.set, def, failure)
        const { error, results } = direction === 'up' ? await m.migrateUp() : await m.migrateDown()
        const ran = results?.find((r) => r.migrationName === def.name)
        let message: string | undefined
        if (error) message = fullDbError(failure.error ?? error)
        else if (ran?.status !== 'Success') message = `expected to ${direction === 'up' ? 'apply' : 'roll back'} ${def.name}, but the migrator did not`
        await finishStep(opts.state, stepId, { ok: !message, error: message })
        steps.push({ name: def.name, direction, ok: !message, error: message })
        if (message) break
      }
      const ok = steps.every((s) => s.ok)
      if (opts.snapshots !== false) {
        const after = await takeSnapshot(db, opts.state, { ...by, reason: `after ${kind} run #${runId}` })
        await updateRun(opts.state, runId, { snapshotAfterId: after.id })
      }
      const failed = steps.find((s) => !s.ok)
      const notRun = plan.slice(steps.length).map((d) => d.name)
      await updateRun(opts.state, runId, {
        status: ok ? 'succeeded' : 'failed',
        error: failed ? `${failed.name}: ${failed.error}` : null,
      })
      const done = steps.filter((s) => s.ok).map((s) => s.name)
      const verb = kind === 'apply' ? 'Applied' : 'Rolled back'
      const message = ok
        ? `${verb} ${done.join(', ')}.`
        : `${failed!.name} failed and was rolled back${done.length ? `; ${done.join(', ')} ${kind === 'apply' ? 'stay applied' : 'stay rolled back'}` : ''}${notRun.length ? `; ${notRun.join(', ')} not run` : ''}.`
      return { runId, ok, steps, notRun, message }
    } catch (e) {
      if (runId !== null) await updateRun(opts.state, runId, { status: 'failed', error: (e as Error).message }).catch(() => {})
      throw e
    } finally {
      await db.destroy()
    }
  })
}

export function applyMigrations(opts: RunOptions, request: ApplyRequest): Promise<RunResult> {
  return executeRun(opts, 'apply', async (db) => {
    const status = await migrationStatus(db, opts.state, opts.set)
    if (status.blockingEdits.length) {
      throw new ActionError(
        'conflict',
        `Apply is blocked: ${status.blockingEdits.join(', ')} changed after ${status.blockingEdits.length === 1 ? 'it was' : 'they were'} applied. Restore the file, or have an admin acknowledge the edit.`,
      )
    }
    const missing = status.migrations.filter((m) => m.flags.some((f) => f.code === 'missing_from_code')).map((m) => m.name)
    if (missing.length) {
      throw new ActionError(
        'conflict',
        `Apply is blocked: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} recorded as applied but missing from the code. Bring the file back, or remove its row from the migration table after checking the schema.`,
      )
    }
    const plan = planApply(status.pending, status.lastApplied, request).map((n) => opts.set.defs.find((d) => d.name === n)!)
    const unloadable = plan.filter((d) => d.loadError)
    if (unloadable.length) {
      throw new ActionError('conflict', `Apply is blocked: ${unloadable.map((d) => d.loadError!.message).join(' ')} Restore it, or remove it from the index.`)
    }
    return { plan, requested: { ...request, plan: plan.map((d) => d.name) }, targetDatabase: status.targetDatabase }
  })
}

/** Rolls back the newest applied migration; `confirmName` must be its exact name. */
export function rollbackLast(opts: RunOptions, confirmName: string): Promise<RunResult> {
  return executeRun(opts, 'rollback', async (db) => {
    const status = await migrationStatus(db, opts.state, opts.set)
    const last = status.lastApplied
    if (!last) throw new ActionError('conflict', 'Nothing to roll back: no migration is applied.')
    if (confirmName !== last) {
      throw new ActionError('invalid_input', `Type the name of the last applied migration (${last}) to confirm.`)
    }
    const def = opts.set.defs.find((d) => d.name === last)
    if (!def) throw new ActionError('conflict', `${last} cannot be rolled back: its code is missing.`)
    if (def.irreversibleReason) throw new ActionError('conflict', `${last} cannot be rolled back: ${def.irreversibleReason}.`)
    return { plan: [def], requested: { rollback: last }, targetDatabase: status.targetDatabase }
  })
}
