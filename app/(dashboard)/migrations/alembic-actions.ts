'use server'

import { revalidatePath } from 'next/cache'
import { z } from 'zod'
import { action } from '@/lib/auth/action'
import { ActionError } from '@/lib/auth/action-result'
import type { ActionContext } from '@/lib/auth/guarded-run'
import { alembicOfflineSql } from '@/lib/alembic/offline-sql'
import { REVISION_PATTERN } from '@/lib/alembic/output'
import type { AlembicJobInput } from '@/lib/alembic/jobs'
import { alembicDrift, alembicRehearsal } from '@/lib/alembic/scratch-checks'
import type { AlembicSettings } from '@/lib/alembic/settings'
import { migratorDb } from '@/lib/db/server-dbs'
import { serverJobs } from '@/lib/jobs/server-jobs'
import { jobView } from '@/lib/jobs/job-view'
import { checked } from '@/lib/migrations/run-failure'
import { serverEnv } from '@/lib/runtime/server-env'

// The team's own Alembic, run by the dashboard with its safety: the run lock, snapshots, history.
// Upgrade and downgrade are queued as jobs (lib/alembic/jobs.ts); the page follows them.
// Only action()-built functions are exported from this file: a unit test runs each as every role.

const revision = z
  .string({ message: 'name a revision' })
  .trim()
  .min(1, { message: 'name a revision' })
  .max(100)
  .regex(REVISION_PATTERN, { message: 'must be an Alembic revision: head, base, an id, -1, +2 or branch@head' })

const emptyAsMissing = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v)

const DryRunInput = z.object({
  direction: z.preprocess(emptyAsMissing, z.enum(['upgrade', 'downgrade'], { message: "must be 'upgrade' or 'downgrade'" }).default('upgrade')),
  revision: z.preprocess(emptyAsMissing, revision.default('head')),
})
const UpgradeInput = z.object({ revision: z.preprocess(emptyAsMissing, revision.default('head')) })
const DowngradeInput = z.object({ revision })
const RehearseInput = z.object({ revision: z.preprocess(emptyAsMissing, revision.default('head')) })
const NoInput = z.object({})

function actorOf(ctx: ActionContext) {
  return { id: ctx.user.id, label: ctx.user.email, source: 'dashboard' as const }
}

function settings(): AlembicSettings {
  const s = serverEnv().alembic
  if (!s) {
    throw new ActionError(
      'unavailable',
      'Alembic is not configured: set ALEMBIC_DIR to the folder of the team’s alembic.ini (and ALEMBIC_COMMAND when `alembic` is not how it is run), then restart the dashboard.',
    )
  }
  return s
}

/** The page shows the run's outcome, whatever it was. */
const revalidateMigrations = () => revalidatePath('/migrations')

/**
 * Queues the run as a job and returns at once with its id: a long upgrade must not hold the
 * request. The Jobs page and the Alembic controls follow the job (its progress is Alembic's output)
 * and show how it ended; JobBusyError refuses it while another Alembic run of this database is queued or running.
 */
async function queued(ctx: ActionContext, command: 'upgrade' | 'downgrade', revision: string) {
  settings()
  const job = await (await serverJobs()).enqueue(
    `alembic.${command}`,
    { revision, actor: { id: ctx.user.id, source: 'dashboard' } } satisfies AlembicJobInput,
    { startedBy: ctx.user.email, trigger: 'manual' },
  )
  return { message: `Alembic ${command} queued as job #${job.id}.`, data: { jobId: job.id, job: jobView(job, ctx.user.role) } }
}

export const alembicDryRunAction = action({
  name: 'alembic.dry_run',
  permission: 'checks.run',
  input: DryRunInput,
  target: (input) => `${input.direction} ${input.revision}`,
  async run(ctx, input) {
    const r = await checked('The Alembic dry run', () =>
      alembicOfflineSql(
        { settings: settings(), targetUrl: serverEnv().capabilities.migrator, target: migratorDb(), state: ctx.stateDb, actor: actorOf(ctx) },
        { direction: input.direction, revision: input.revision },
      ),
      revalidateMigrations,
    )
    if (!r.ok) throw new ActionError('conflict', `${r.message}${r.error ? `\n\n${r.error}` : ''}`)
    return { message: r.message, data: r }
  },
})

export const alembicUpgradeAction = action({
  name: 'alembic.upgrade',
  permission: 'migrations.apply',
  input: UpgradeInput,
  target: (input) => input.revision,
  async run(ctx, input) {
    return checked('The Alembic upgrade', () => queued(ctx, 'upgrade', input.revision), revalidateMigrations)
  },
})

export const alembicDowngradeAction = action({
  name: 'alembic.downgrade',
  permission: 'migrations.rollback',
  input: DowngradeInput,
  target: (input) => input.revision,
  async run(ctx, input) {
    return checked('The Alembic downgrade', () => queued(ctx, 'downgrade', input.revision), revalidateMigrations)
  },
})

function checkOptions(ctx: ActionContext) {
  const env = serverEnv()
  return { settings: settings(), targetUrl: env.capabilities.migrator, target: migratorDb(), state: ctx.stateDb, actor: actorOf(ctx), pgBinDir: env.pgBinDir }
}

export const alembicRehearseAction = action({
  name: 'alembic.rehearse',
  permission: 'checks.run',
  input: RehearseInput,
  target: (input) => input.revision,
  async run(ctx, input) {
    const r = await checked('The Alembic rehearsal', () => alembicRehearsal(checkOptions(ctx), input.revision), revalidateMigrations)
    return { message: r.message, data: r }
  },
})

export const alembicDriftAction = action({
  name: 'alembic.drift',
  permission: 'checks.run',
  input: NoInput,
  async run(ctx) {
    const r = await checked('The Alembic drift check', () => alembicDrift(checkOptions(ctx)), revalidateMigrations)
    return { message: r.message, data: r }
  },
})
