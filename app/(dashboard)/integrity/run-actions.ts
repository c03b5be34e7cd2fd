'use server'

import { revalidatePath } from 'next/cache'
import { z } from 'zod'
import { action } from '@/lib/auth/action'
import { ActionError } from '@/lib/auth/action-result'
import { targetIdentity } from '@/lib/db/target-identity'
import { getIntegrityRun } from '@/lib/integrity/run-store'
import { integrityTargetDb } from '@/lib/db/server-dbs'
import { serverJobs } from '@/lib/jobs/server-jobs'
import { id } from './inputs'
import { startJob } from './job-start'

// Only action()-built functions are exported from this file: a unit test runs each as every role.

export const runChecksAction = action({
  name: 'integrity.run',
  permission: 'checks.run',
  input: z.object({}),
  async run(ctx) {
    const job = await startJob(async () => (await serverJobs()).enqueue('integrity.run', {}, { startedBy: ctx.user.email, trigger: 'manual' }))
    const runId = job.refId!
    revalidatePath('/integrity')
    return { message: `Started integrity run #${runId}.`, data: { runId, jobId: job.id }, target: `run #${runId}` }
  },
})

export const cancelRunAction = action({
  name: 'integrity.cancel',
  permission: 'checks.run',
  input: z.object({ runId: id }),
  target: (input) => `run #${input.runId}`,
  async run(ctx, input) {
    const run = await getIntegrityRun(ctx.stateDb, input.runId)
    const here = (await targetIdentity(integrityTargetDb())).key
    const cancelled = run?.jobId && run.targetKey === here ? await (await serverJobs()).cancel(run.jobId) : null
    if (!cancelled?.ok) throw new ActionError('conflict', `Run #${input.runId} is not running.`)
    revalidatePath('/integrity')
    return { message: `Run #${input.runId} stops after its current check.` }
  },
})
