'use server'

import { revalidatePath } from 'next/cache'
import { z } from 'zod'
import { action } from '@/lib/auth/action'
import { ActionError } from '@/lib/auth/action-result'
import type { ActionContext } from '@/lib/auth/guarded-run'
import { backupKeys } from '@/lib/backups/config-keys'
import { preMigrationBackup } from '@/lib/backups/pre-migration-backup'
import { loadConfig } from '@/lib/config'
import { describeDbError } from '@/lib/db/db-errors'
import { migratorDb } from '@/lib/db/server-dbs'
import { acknowledgeMigrationEdit } from '@/lib/migrations/acknowledge'
import { dryRun } from '@/lib/migrations/dry-run'
import { rehearseRollbacks } from '@/lib/migrations/rehearsal'
import { dorMigrationSet } from '@/lib/migrations/registry'
import { detectDrift, replayCheck } from '@/lib/migrations/replay'
import type { RunActor } from '@/lib/migrations/run-store'
import { type ApplyRequest, applyMigrations, rollbackLast, type RunOptions, type RunResult } from '@/lib/migrations/runner'
import { serverEnv } from '@/lib/runtime/server-env'

// Only action()-built functions are exported from this file: a unit test runs each as every role.

const migrationName = z.string().trim().min(1, { message: 'name a migration' }).max(300)
const emptyAsMissing = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v)

/** A checkbox: FormData sends 'on' (or 'true') when checked and nothing when not. */
const checkbox = z
  .union([z.boolean(), z.enum(['true', 'false', 'on'])], { message: 'must be true or false' })
  .optional()
  .transform((v) => v === true || v === 'true' || v === 'on')

const ApplyInput = z
  .object({
    mode: z.enum(['next', 'all', 'to'], { message: "must be 'next', 'all' or 'to'" }),
    to: z.preprocess(emptyAsMissing, migrationName.optional()),
    backup: checkbox,
  })
  .refine((i) => i.mode !== 'to' || !!i.to, { path: ['to'], message: 'choose the migration to apply up to' })

const RollbackInput = z.object({ name: migrationName })

const AcknowledgeInput = z.object({
  name: migrationName,
  note: z.preprocess(emptyAsMissing, z.string().trim().max(500, { message: 'must be at most 500 characters' }).optional()),
})

function actorOf(ctx: ActionContext): RunActor {
  return { id: ctx.user.id, label: ctx.user.email, source: 'dashboard' }
}

async function runOptions(ctx: ActionContext, backup: boolean): Promise<RunOptions> {
  const env = serverEnv()
  return {
    targetUrl: env.capabilities.migrator,
    state: ctx.stateDb,
    set: await dorMigrationSet(),
    actor: actorOf(ctx),
    lockTimeoutMs: env.migrationLockTimeoutMs,
    statementTimeoutMs: env.migrationStatementTimeoutMs,
    beforeApply: backup
      ? async (runId) => {
          try {
            const config = loadConfig()
            const backup = await preMigrationBackup(ctx.stateDb, {
              targetUrl: env.capabilities.backup,
              pgBinDir: env.pgBinDir,
              dataPath: config.dataPath,
              runId,
              createdBy: ctx.user.email,
              encryption: backupKeys(config)?.encrypt ?? null,
            })
            return backup.path
          } catch (e) {
            // Thrown inside the run: the runner marks it failed and no migration runs.
            const why = ((e as Error)?.message ?? String(e)).replace(/postgres(ql)?:\/\/\S+/g, '[url]')
            throw new ActionError('backup_failed', `The backup before the run failed, so no migration was run.\n\n${why}`)
          }
        }
      : undefined,
  }
}

/**
 * Runs a migration run and turns its result into the wrapper's outcome: a failed step becomes an
 * error the user sees in full (what failed, what stayed applied, what was not run, PostgreSQL's
 * message); a database that does not answer becomes a short message without connection details.
 */
async function outcomeOf(run: () => Promise<RunResult>) {
  let result: RunResult
  try {
    result = await run()
  } catch (e) {
    if (e instanceof ActionError) throw e
    if (typeof (e as { code?: unknown })?.code === 'string') {
      console.error('[dbadmin] migration run error:', e)
      throw new ActionError('unavailable', `The migration run could not start or finish: ${describeDbError(e)}`)
    }
    throw e
  } finally {
    revalidatePath('/migrations')
  }
  if (!result.ok) {
    const failed = result.steps.find((s) => !s.ok)
    throw new ActionError(
      'migration_failed',
      `Run #${result.runId}: ${result.message}${failed ? `\n\n${failed.name}:\n${failed.error ?? 'no error text'}` : ''}`,
    )
  }
  return { message: result.message, data: result }
}

export const applyMigrationsAction = action({
  name: 'migrations.apply',
  permission: 'migrations.apply',
  input: ApplyInput,
  target: (input) => (input.mode === 'to' ? `to ${input.to}` : input.mode),
  async run(ctx, input) {
    const request: ApplyRequest = input.mode === 'next' ? { next: true } : input.mode === 'all' ? { all: true } : { to: input.to! }
    return outcomeOf(async () => applyMigrations(await runOptions(ctx, input.backup), request))
  },
})

export const rollbackMigrationAction = action({
  name: 'migrations.rollback',
  permission: 'migrations.rollback',
  input: RollbackInput,
  target: (input) => input.name,
  async run(ctx, input) {
    return outcomeOf(async () => rollbackLast(await runOptions(ctx, false), input.name))
  },
})

export const acknowledgeEditAction = action({
  name: 'migrations.acknowledge_edit',
  permission: 'migrations.apply',
  input: AcknowledgeInput,
  target: (input) => input.name,
  async run(ctx, input) {
    const { message } = await acknowledgeMigrationEdit(migratorDb(), ctx.stateDb, await dorMigrationSet(), {
      name: input.name,
      by: actorOf(ctx),
      note: input.note,
    })
    revalidatePath('/migrations')
    return { message }
  },
})

// Checks: a dry run in a rolled-back transaction, and rehearsal, drift and replay on scratch
// databases. They change nothing in the target, so operators may run them too.

const DryRunInput = z
  .object({
    mode: z.enum(['next', 'all', 'to'], { message: "must be 'next', 'all' or 'to'" }),
    to: z.preprocess(emptyAsMissing, migrationName.optional()),
  })
  .refine((i) => i.mode !== 'to' || !!i.to, { path: ['to'], message: 'choose the migration to apply up to' })

const NoInput = z.object({})

async function checkOptions(ctx: ActionContext) {
  const env = serverEnv()
  return {
    targetUrl: env.capabilities.migrator,
    target: migratorDb(),
    state: ctx.stateDb,
    set: await dorMigrationSet(),
    actor: actorOf(ctx),
    pgBinDir: env.pgBinDir,
  }
}

/**
 * Runs a check and turns what stops it into a message the user can act on: no CREATEDB for the
 * scratch database, pg_dump/psql failing to copy the schema, a target that does not answer.
 */
async function checked<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (e) {
    if (e instanceof ActionError) throw e
    const message = ((e as Error)?.message ?? String(e)).replace(/postgres(ql)?:\/\/\S+/g, '[url]')
    if (message.startsWith('Could not create a scratch database')) throw new ActionError('unavailable', message)
    if (/^(pg_dump|psql): /.test(message)) {
      throw new ActionError('unavailable', `${what} could not copy the target's schema into a scratch database: ${message}`)
    }
    if (typeof (e as { code?: unknown })?.code === 'string') {
      console.error(`[dbadmin] ${what} error:`, e)
      throw new ActionError('unavailable', `${what} could not start or finish: ${describeDbError(e)}`)
    }
    throw e
  } finally {
    // The check is in the run history now.
    revalidatePath('/migrations')
  }
}

/** Statement parameters as plain values the browser can receive (dates, bigints, bytes as text). */
function plainParameter(p: unknown): unknown {
  if (p === null || typeof p === 'string' || typeof p === 'number' || typeof p === 'boolean') return p
  if (typeof p === 'bigint') return p.toString()
  if (p instanceof Date) return p.toISOString()
  if (p instanceof Uint8Array) return `\\x${Buffer.from(p).toString('hex')}`
  try {
    return JSON.stringify(p) ?? String(p)
  } catch {
    return String(p)
  }
}

export const dryRunAction = action({
  name: 'migrations.dry_run',
  permission: 'checks.run',
  input: DryRunInput,
  target: (input) => (input.mode === 'to' ? `to ${input.to}` : input.mode),
  async run(ctx, input) {
    const request: ApplyRequest = input.mode === 'next' ? { next: true } : input.mode === 'all' ? { all: true } : { to: input.to! }
    const env = serverEnv()
    const result = await checked('The dry run', async () =>
      dryRun(
        {
          targetUrl: env.capabilities.migrator,
          state: ctx.stateDb,
          set: await dorMigrationSet(),
          actor: actorOf(ctx),
          lockTimeoutMs: env.migrationLockTimeoutMs,
          statementTimeoutMs: env.migrationStatementTimeoutMs,
        },
        request,
      ),
    )
    const migrations = result.migrations.map((m) => ({
      ...m,
      statements: m.statements.map((s) => ({ sql: s.sql, parameters: s.parameters.map(plainParameter) })),
    }))
    return { message: result.message, data: { ...result, migrations } }
  },
})

/** A check on a scratch database (rehearsal, drift, replay): operators may run it; nothing changes. */
function scratchCheck<T extends { message: string }>(
  name: string,
  what: string,
  check: (options: Awaited<ReturnType<typeof checkOptions>>) => Promise<T>,
) {
  return action({
    name,
    permission: 'checks.run',
    input: NoInput,
    async run(ctx) {
      const result = await checked(what, async () => check(await checkOptions(ctx)))
      return { message: result.message, data: result }
    },
  })
}

export const rehearseAction = scratchCheck('migrations.rehearse', 'The rollback test', rehearseRollbacks)
export const driftAction = scratchCheck('migrations.drift', 'The drift check', detectDrift)
export const replayAction = scratchCheck('migrations.replay', 'The replay check', replayCheck)
