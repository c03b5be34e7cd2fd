'use server'

import { z } from 'zod'
import { action } from '@/lib/auth/action'
import { ActionError } from '@/lib/auth/action-result'
import { serverJobs } from '@/lib/jobs/server-jobs'
import { cancelMaintenanceJob, queueMaintenance } from '@/lib/performance/maintenance-job'
import { describeTask, MaintenanceTaskInput } from '@/lib/performance/maintenance-input'

// Maintenance jobs of the Indexes and Tables pages. Only action()-built functions are exported
// from this file: a unit test runs each as every role.

/**
 * Queues VACUUM, ANALYZE, REINDEX CONCURRENTLY or CREATE/DROP INDEX CONCURRENTLY as a background
 * job (lib/performance/maintenance-job.ts) and returns at once with its id; the page follows its
 * progress. One job at a time per table.
 */
export const startMaintenanceAction = action({
  name: 'maintenance.start',
  permission: 'maintenance.run',
  input: MaintenanceTaskInput,
  target: (input) => describeTask(input),
  run: async (ctx, input) => {
    const job = await queueMaintenance(await serverJobs(), input, { startedBy: ctx.user.email, trigger: 'manual' })
    return { message: `Queued maintenance job #${job.refId}: ${describeTask(input)}.`, data: { id: job.refId, jobId: job.id } }
  },
})

/** Cancels the statement of a running maintenance job (a cancelled CONCURRENTLY build may leave an invalid index, reported with the job). */
export const cancelMaintenanceAction = action({
  name: 'maintenance.cancel',
  permission: 'maintenance.run',
  input: z.object({ id: z.coerce.number().int().positive() }),
  target: (input) => `maintenance job #${input.id}`,
  run: async (_ctx, input) => {
    const r = await cancelMaintenanceJob(await serverJobs(), input.id)
    if (!r.ok) throw new ActionError('conflict', r.message)
    return { message: r.message }
  },
})
