import { Kysely, PostgresDialect, sql } from 'kysely'
import { createPool } from '../db/connect'
import { roleOf } from '../db/session-role'
import { fullDbError } from '../db/db-errors'
import { type ApplyRequest, planApply } from './runner'
import { assertChainAdopted } from './management'
import type { MigrationSet } from './registry'
import { withRunLock } from './run-lock'
import { createRun, type RunActor, updateRun } from './run-store'
import { migrationStatus } from './status'
import type { StateDb } from '../state/state-db'

export interface DryRunMigration {
  name: string
  /** The statements it executed, with their parameters. */
  statements: { sql: string; parameters: unknown[] }[]
  error?: string
  /** Not run: it cannot run inside the transaction a dry run needs. */
  skipped?: string
}

export interface DryRunResult {
  runId: number
  ok: boolean
  migrations: DryRunMigration[]
  message: string
}

class RollBack extends Error {}

/**
 * Runs the planned pending migrations inside one transaction that is always rolled back, and
 * captures the SQL each executed. Nothing changes in the target.
 */
export async function dryRun(
  opts: {
    targetUrl: string
    state: StateDb
    set: MigrationSet
    actor: RunActor
    lockTimeoutMs: number
    statementTimeoutMs: number
    /** As RunOptions.signal: cancels the running statement on the server. */
    signal?: AbortSignal
  },
  request: ApplyRequest,
): Promise<DryRunResult> {
  return withRunLock(opts.targetUrl, opts.actor.label, async (lock) => {
    let current: DryRunMigration | null = null
    const db = new Kysely<any>({
      dialect: new PostgresDialect({
        pool: createPool(opts.targetUrl, {
          max: 1,
          applicationName: lock.sessionName('dry run'),
          lockTimeoutMs: opts.lockTimeoutMs,
          statementTimeoutMs: opts.statementTimeoutMs,
        }),
      }),
      log(event) {
        current?.statements.push({ sql: event.query.sql, parameters: [...event.query.parameters] })
      },
    })
    let runId: number | null = null
    try {
      const status = await migrationStatus(db, opts.state, opts.set)
      assertChainAdopted(status.management)
      const plan = planApply(status.pending, status.lastApplied, request)
      runId = await createRun(opts.state, {
        kind: 'dry_run',
        target: status.target,
        actor: opts.actor,
        requested: { ...request, plan },
        dbRole: await roleOf(db),
      })
      const migrations: DryRunMigration[] = []
      const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)
      const cancel = () => void lock.client.query('select pg_cancel_backend($1)', [rows[0].pid]).catch(() => {})
      opts.signal?.addEventListener('abort', cancel)
      await db
        .transaction()
        .execute(async (trx) => {
          for (const name of plan) {
            const def = opts.set.defs.find((d) => d.name === name)!
            const entry: DryRunMigration = { name, statements: [] }
            migrations.push(entry)
            if (!def.transactional) {
              entry.skipped = 'declared non-transactional: it cannot run inside the rolled-back transaction'
              continue
            }
            current = entry
            try {
              await def.migration.up(trx)
            } catch (e) {
              entry.error = fullDbError(e)
              break
            } finally {
              current = null
            }
          }
          throw new RollBack()
        })
        .catch((e) => {
          if (!(e instanceof RollBack)) throw e
        })
        .finally(() => opts.signal?.removeEventListener('abort', cancel))
      const failed = migrations.find((m) => m.error)
      const ok = !failed
      const message = ok
        ? `Dry run of ${plan.join(', ')} succeeded; everything was rolled back.`
        : `Dry run: ${failed.name} failed; everything was rolled back.`
      await updateRun(opts.state, runId, {
        status: ok ? 'succeeded' : 'failed',
        error: failed ? `${failed.name}: ${failed.error}` : null,
        report: { migrations },
      })
      return { runId, ok, migrations, message }
    } catch (e) {
      if (runId !== null) await updateRun(opts.state, runId, { status: 'failed', error: (e as Error).message }).catch(() => {})
      throw e
    } finally {
      await db.destroy()
    }
  })
}
