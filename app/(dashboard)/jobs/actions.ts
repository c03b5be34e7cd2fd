'use server'

import { revalidatePath } from 'next/cache'
import { z } from 'zod'
import { action } from '@/lib/auth/action'
import { ActionError } from '@/lib/auth/action-result'
import { can } from '@/lib/auth/permissions'
import { integrityTargetDb } from '@/lib/db/server-dbs'
import { targetIdentity } from '@/lib/db/target-identity'
import { findJobKind } from '@/lib/jobs/all-kinds'
import { getJob } from '@/lib/jobs/job-store'
import { saveSchedule } from '@/lib/jobs/schedules'
import { serverJobs } from '@/lib/jobs/server-jobs'

const jobId = z.coerce.number({ message: 'must be a job number' }).int({ message: 'must be a job number' }).positive({ message: 'must be a job number' })

/**
 * Cancels a job of this database: a queued one at once, a running one at its next safe point.
 * Operators cancel the kinds they may start (checks.run), admins every kind.
 */
export const cancelJobAction = action({
  name: 'jobs.cancel',
  permission: 'checks.run',
  input: z.object({ jobId }),
  target: (input) => `job #${input.jobId}`,
  async run(ctx, input) {
    const job = await getJob(ctx.stateDb, input.jobId)
    if (!job || job.targetKey !== (await targetIdentity(integrityTargetDb())).key) throw new ActionError('not_found', `There is no job #${input.jobId}.`)
    const kind = findJobKind(job.kind)
    if (!kind) throw new ActionError('conflict', `Job #${job.id} is of a kind this dashboard does not know (${job.kind}).`)
    if (!can(ctx.user.role, kind.cancelPermission)) {
      throw new ActionError('forbidden', `Your role (${ctx.user.role}) may not cancel ${kind.title.toLowerCase()} jobs.`)
    }
    const r = await (await serverJobs()).cancel(job.id)
    revalidatePath('/jobs')
    if (!r.ok) throw new ActionError('conflict', r.message)
    return { message: r.message, target: `job #${job.id} (${job.kind} on ${job.subject})` }
  },
})

const ScheduleInput = z.object({
  kind: z.string().min(1),
  cron: z.string().trim().min(1, { message: 'write a cron expression (minute hour day-of-month month day-of-week)' }).max(100),
  timezone: z.string().trim().min(1, { message: 'name a time zone, e.g. UTC or Europe/Berlin' }).max(64),
  enabled: z.preprocess((v) => v === true || v === 'on' || v === 'true', z.boolean()),
})

/** Changes when a scheduled kind fires (cron, time zone, on or off); it then stays as set until an admin changes it. */
export const saveScheduleAction = action({
  name: 'jobs.schedule.save',
  permission: 'jobs.schedule',
  input: ScheduleInput,
  target: (input) => input.kind,
  async run(ctx, input) {
    const kind = findJobKind(input.kind)
    if (!kind?.schedule) throw new ActionError('invalid_input', `${input.kind} does not run on a schedule.`)
    const saved = await saveSchedule(await serverJobs(), kind.kind, input, ctx.user.email)
    revalidatePath('/jobs')
    return {
      message: saved.enabled ? `${kind.title} now runs on "${saved.cron}" (${saved.timezone}).` : `${kind.title} no longer runs on a schedule.`,
    }
  },
})
