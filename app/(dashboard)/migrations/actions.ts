'use server'

import { revalidatePath } from 'next/cache'
import { z } from 'zod'
import { action } from '@/lib/auth/action'
import { ActionError } from '@/lib/auth/action-result'
import type { ActionContext } from '@/lib/auth/guarded-run'
import { queuedPreMigrationBackup } from '@/lib/backups/pre-migration-backup'
import { can } from '@/lib/auth/permissions'
import { hideRowValuesInErrors, withoutRowValues } from '@/lib/db/db-errors'
import { migratorDb } from '@/lib/db/server-dbs'
import { acknowledgeMigrationEdit } from '@/lib/migrations/acknowledge'
import { serverJobs } from '@/lib/jobs/server-jobs'
import { waitForJob } from '@/lib/jobs/wait-for-job'
import { type MigrationCheckKind, type MigrationCheckResult, parseCheckResult } from '@/lib/migrations/check-report'
import { assertChainAdopted } from '@/lib/migrations/management'
import { dorMigrationSet } from '@/lib/migrations/registry'
import type { RunActor } from '@/lib/migrations/run-store'
import { migrationStatus } from '@/lib/migrations/status'
import { checked } from '@/lib/migrations/run-failure'
import { redactUrls } from '@/lib/redact-urls'
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
            const b = await queuedPreMigrationBackup(await serverJobs(), ctx.stateDb, { runId, startedBy: ctx.user.email, dataPath: env.dataPath })
            return b.path
          } catch (e) {
            // Thrown inside the run: the runner marks it failed and no migration runs.
            const why = redactUrls((e as Error)?.message ?? String(e))
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
  const result = await checked('The migration run', run, () => revalidatePath('/migrations'))
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

/** How long the page's request waits for a check; past that it says where to follow the job. */
const CHECK_WAIT_MS = 120_000

/** The job each check runs as (lib/migrations/check-jobs.ts). */
const CHECK_JOBS: Record<MigrationCheckKind, string> = {
  dry_run: 'migrations.dry_run',
  rehearsal: 'migrations.rehearsal',
  drift: 'migrations.drift',
  replay: 'migrations.replay',
}

/**
 * Queues a check as a job and waits for it: the page shows the result as before, and the job
 * (with its result) is on the Jobs page and survives the request. A check that could not run is
 * the action's error; one that ran shows its report whatever it found.
 */
async function queuedCheck<K extends MigrationCheckKind>(
  ctx: ActionContext,
  check: K,
  input: Record<string, unknown>,
): Promise<{ message: string; data?: MigrationCheckResult<K> }> {
  const kind = CHECK_JOBS[check]
  // The refusal the check would meet (another tool migrates this database), given now rather than as a failed job.
  assertChainAdopted((await migrationStatus(migratorDb(), ctx.stateDb, await dorMigrationSet())).management)
  const jobs = await serverJobs()
  let job
  try {
    job = await jobs.enqueue(kind, { actor: actorOf(ctx), ...input }, { startedBy: ctx.user.email, trigger: 'manual' })
  } finally {
    revalidatePath('/migrations')
  }
  const kindSpec = jobs.kind(kind)
  const done = await waitForJob(ctx.stateDb, job.id, {
    timeoutMs: CHECK_WAIT_MS,
    markDead: () => jobs.markDead(),
    retriesLeft: (j) => kindSpec.retryLimit - (j.attempts - 1) > 0,
  })
  revalidatePath('/migrations')
  if (done.state === 'queued' || done.state === 'running') {
    return { message: `${kindSpec.title} is still ${done.state} as job #${done.id}: follow it on the Jobs page; its report will be in the history below.` }
  }
  // A migration's error may quote row values: only those who may reveal data see it whole (as in the history).
  const reveal = can(ctx.user.role, 'data.reveal')
  const shown = (text: string) => (reveal ? text : withoutRowValues(text))
  if (done.result === null || done.result === undefined) {
    throw new ActionError(done.state === 'cancelled' ? 'conflict' : 'unavailable', shown(done.error ?? done.message ?? `${kindSpec.title} did not finish (${done.state}).`))
  }
  const data = parseCheckResult(check, done.result)
  return { message: shown(done.message ?? ''), data: reveal ? data : hideRowValuesInErrors(data) }
}

export const dryRunAction = action({
  name: 'migrations.dry_run',
  permission: 'checks.run',
  input: DryRunInput,
  target: (input) => (input.mode === 'to' ? `to ${input.to}` : input.mode),
  async run(ctx, input) {
    const request: ApplyRequest = input.mode === 'next' ? { next: true } : input.mode === 'all' ? { all: true } : { to: input.to! }
    return queuedCheck(ctx, 'dry_run', { request })
  },
})

/** A check on a scratch database (rehearsal, drift, replay): operators may run it; nothing changes. */
function scratchCheck<K extends Exclude<MigrationCheckKind, 'dry_run'>>(name: string, check: K) {
  return action({
    name,
    permission: 'checks.run',
    input: NoInput,
    async run(ctx) {
      return queuedCheck(ctx, check, {})
    },
  })
}

export const rehearseAction = scratchCheck('migrations.rehearse', 'rehearsal')
export const driftAction = scratchCheck('migrations.drift', 'drift')
export const replayAction = scratchCheck('migrations.replay', 'replay')
