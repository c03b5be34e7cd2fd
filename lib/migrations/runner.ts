import { type Kysely, type Migration, Migrator, sql } from 'kysely'
import { ActionError } from '../auth/action-result'
import { createDb } from '../db/connect'
import { fullDbError } from '../db/db-errors'
import { roleOf } from '../db/session-role'
import { StaticMigrationProvider } from '../db/static-migration-provider'
import { type TargetIdentity, targetIdentity } from '../db/target-identity'
import { readSchemaModel } from '../schema/catalog'
import { toSnapshot } from '../schema/snapshot'
import { saveSnapshot } from '../schema/snapshot-store'
import { type LockWait, watchLockWaits, withLockWait } from './lock-wait'
import { migrationTablesPresent, removeCreatedMigrationTables } from './migration-tables'
import { assertChainAdopted } from './management'
import { reconcileInterruptedRuns } from './reconcile'
import type { MigrationDef, MigrationSet } from './registry'
import { withRunLock } from './run-lock'
import { createRun, finishStep, type RunActor, startStep, updateRun } from './run-store'
import { StateLostError, stateRecorder } from './state-recorder'
import { migrationStatus } from './status'
import type { StateDb } from '../state/state-db'

export interface RunOptions {
  targetUrl: string
  state: StateDb
  set: MigrationSet
  actor: RunActor
  lockTimeoutMs: number
  statementTimeoutMs: number
  /** Schema snapshots before and after (default on). */
  snapshots?: boolean
  /** Called before the first migration runs (a backup); returns what to link in the history. */
  beforeApply?: (runId: number) => Promise<string | null>
  /**
   * Stops the run (the CLI on SIGINT/SIGTERM): the running statement is cancelled on the server
   * and no further migration starts. `reason` (a string) goes into the step's error.
   */
  signal?: AbortSignal
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

/** How often a running migration is checked for lock waits: several times within lock_timeout. */
function lockWatchInterval(lockTimeoutMs: number): number {
  return Math.min(1000, Math.max(50, Math.floor(lockTimeoutMs / 4)))
}

async function backendPid(db: Kysely<any>): Promise<number> {
  const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)
  return rows[0].pid
}

/** The target's schema as a run's snapshot stores it (the caller saves it in the state database). */
async function readRunSnapshot(db: Kysely<any>) {
  const [model, identity] = await Promise.all([readSchemaModel(db, { sizes: false }), targetIdentity(db)])
  return { snapshot: toSnapshot(model), database: model.database, targetKey: identity.key }
}

/**
 * Holds the run lock, opens a session with lock_timeout/statement_timeout, records the run with
 * snapshots before and after, and runs `steps` one migration at a time, each in its own
 * transaction (unless declared otherwise), stopping at the first failure.
 */
async function executeRun(
  opts: RunOptions,
  kind: 'apply' | 'rollback',
  prepare: (db: Kysely<any>) => Promise<{ plan: MigrationDef[]; requested: unknown; target: TargetIdentity }>,
): Promise<RunResult> {
  return withRunLock(opts.targetUrl, opts.actor.label, async (lock) => {
    const db = createDb(opts.targetUrl, {
      max: 1,
      applicationName: lock.sessionName('migrate'),
      statementTimeoutMs: opts.statementTimeoutMs,
      lockTimeoutMs: opts.lockTimeoutMs,
    })
    // Snapshots read the catalog with several queries side by side: on the migration's single
    // session they would queue behind each other and time out waiting for the pool.
    const snapshots =
      opts.snapshots === false
        ? null
        : createDb(opts.targetUrl, {
            max: 3,
            applicationName: 'dbadmin migrate snapshot',
            statementTimeoutMs: opts.statementTimeoutMs,
            lockTimeoutMs: opts.lockTimeoutMs,
          })
    let runId: number | null = null
    // Once the target may have changed, a state database failure must not hide what happened there.
    const record = stateRecorder()
    try {
      await reconcileInterruptedRuns(opts.state, db, opts.set, await targetIdentity(db))
      const { plan, requested, target } = await prepare(db)
      runId = await createRun(opts.state, { kind, target, actor: opts.actor, requested, dbRole: await roleOf(db) })
      const by = { takenById: opts.actor.id ?? null, takenBy: opts.actor.label }
      if (snapshots) {
        const before = await saveSnapshot(opts.state, { ...(await readRunSnapshot(snapshots)), ...by, reason: `before ${kind} run #${runId}` })
        await updateRun(opts.state, runId, { snapshotBeforeId: before.id })
      }
      if (kind === 'apply' && opts.beforeApply) {
        await updateRun(opts.state, runId, { backupPath: await opts.beforeApply(runId) })
      }
      const tablesBefore = await migrationTablesPresent(db, opts.set)
      const direction = kind === 'apply' ? 'up' : 'down'
      const steps: StepResult[] = []
      for (const [position, def] of plan.entries()) {
        if (opts.signal?.aborted) break
        const id = runId
        const stepId = await record.write(() => startStep(opts.state, { runId: id, position, name: def.name, direction, checksum: def.checksum }))
        if (stepId === undefined) break
        const pid = await backendPid(db)
        // Cancelled from the lock's session: the server would otherwise run the statement (and
        // hold its locks) until it ends, long after this process is gone.
        const cancel = () => void lock.client.query('select pg_cancel_backend($1)', [pid]).catch(() => {})
        opts.signal?.addEventListener('abort', cancel)
        if (opts.signal?.aborted) {
          // Stopped before this migration began: it is not run, and not counted as failed.
          opts.signal.removeEventListener('abort', cancel)
          await record.write(() => finishStep(opts.state, stepId, { ok: false, error: `Not run: ${String(opts.signal!.reason)}.` }))
          break
        }
        const watch = watchLockWaits(lock.client, pid, lockWatchInterval(opts.lockTimeoutMs))
        const failure: { error?: unknown } = {}
        let outcome: Awaited<ReturnType<Migrator['migrateUp']>>
        let wait: LockWait | null
        try {
          const m = migrator(db, opts.set, def, failure)
          outcome = direction === 'up' ? await m.migrateUp() : await m.migrateDown()
        } finally {
          opts.signal?.removeEventListener('abort', cancel)
          wait = await watch.stop()
        }
        const ran = outcome.results?.find((r) => r.migrationName === def.name)
        let message: string | undefined
        if (outcome.error) {
          message = withLockWait(fullDbError(failure.error ?? outcome.error), wait, opts.lockTimeoutMs)
          if (opts.signal?.aborted) message = cancelledMessage(failure.error ?? outcome.error, opts.signal.reason)
        } else if (ran?.status !== 'Success') message = `expected to ${direction === 'up' ? 'apply' : 'roll back'} ${def.name}, but the migrator did not`
        await record.write(() => finishStep(opts.state, stepId, { ok: !message, error: message }))
        steps.push({ name: def.name, direction, ok: !message, error: message })
        if (message || record.lost) break
      }
      const ok = steps.length === plan.length && steps.every((s) => s.ok)
      const done = steps.filter((s) => s.ok).map((s) => s.name)
      const cleanup = done.length === 0 && kind === 'apply' ? await removeCreatedMigrationTables(db, opts.set, tablesBefore) : null
      if (snapshots && !record.lost) {
        // The migrations are done: a snapshot that cannot be read leaves the diff out, not the run unrecorded.
        const read = await readRunSnapshot(snapshots).catch(() => null)
        const id = runId
        const after = read && (await record.write(() => saveSnapshot(opts.state, { ...read, ...by, reason: `after ${kind} run #${id}` })))
        if (after) await record.write(() => updateRun(opts.state, id, { snapshotAfterId: after.id }))
      }
      const failed = steps.find((s) => !s.ok)
      const notRun = plan.slice(steps.length).map((d) => d.name)
      const error = failed ? `${failed.name}: ${failed.error}` : notRun.length ? `interrupted; ${notRun.join(', ')} not run` : null
      const id = runId
      await record.write(() =>
        updateRun(opts.state, id, { status: ok ? 'succeeded' : 'failed', error: cleanup ? [error, cleanup].filter(Boolean).join('\n') : error }),
      )
      if (record.lost) throw new StateLostError(runId, { done, failed: failed?.name ?? null, notRun }, kind, opts.set.table, record.lost)
      const verb = kind === 'apply' ? 'Applied' : 'Rolled back'
      const stays = kind === 'apply' ? 'stay applied' : 'stay rolled back'
      let message = ok
        ? `${verb} ${done.join(', ')}.`
        : failed
          ? `${failed.name} failed and was rolled back${done.length ? `; ${done.join(', ')} ${stays}` : ''}${notRun.length ? `; ${notRun.join(', ')} not run` : ''}.`
          : `Interrupted${done.length ? `; ${done.join(', ')} ${stays}` : ''}; ${notRun.join(', ')} not run.`
      if (cleanup) message += ` ${cleanup}`
      return { runId, ok, steps, notRun, message }
    } catch (e) {
      if (runId !== null && !record.lost) await updateRun(opts.state, runId, { status: 'failed', error: (e as Error).message }).catch(() => {})
      throw e
    } finally {
      await Promise.all([db.destroy(), snapshots?.destroy()])
    }
  })
}

/** A step cancelled because this process was told to stop (CLI Ctrl-C, SIGTERM). */
function cancelledMessage(e: unknown, reason: unknown): string {
  const err = e as { message?: string; code?: string }
  const why = typeof reason === 'string' ? reason : 'the run was stopped'
  return `${err?.message ?? String(e)}${err?.code ? `\nSQLSTATE ${err.code}` : ''}\nCancelled: ${why}. Its transaction was rolled back on the server.`
}

export function applyMigrations(opts: RunOptions, request: ApplyRequest): Promise<RunResult> {
  return executeRun(opts, 'apply', async (db) => {
    const status = await migrationStatus(db, opts.state, opts.set)
    assertChainAdopted(status.management)
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
    return { plan, requested: { ...request, plan: plan.map((d) => d.name) }, target: status.target }
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
    return { plan: [def], requested: { rollback: last }, target: status.target }
  })
}
