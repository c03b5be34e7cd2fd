'use server'

import { z } from 'zod'
import { action } from '@/lib/auth/action'
import { ActionError } from '@/lib/auth/action-result'
import { maintenanceDb, stateDb } from '@/lib/db/server-dbs'
import { requestMaintenanceCancel, startMaintenanceJob } from '@/lib/jobs/maintenance-job'
import { performanceActionError } from '@/lib/performance/action-error'
import { describeTask, MaintenanceTaskInput } from '@/lib/performance/maintenance-input'

// Maintenance jobs of the Indexes and Tables pages. Only action()-built functions are exported
// from this file: a unit test runs each as every role.

/**
 * Starts VACUUM, ANALYZE, REINDEX CONCURRENTLY or CREATE/DROP INDEX CONCURRENTLY as a background
 * job and returns at once with its id; the page follows its progress. One job at a time per table.
 */
export const startMaintenanceAction = action({
  name: 'maintenance.start',
  permission: 'maintenance.run',
  input: MaintenanceTaskInput,
  target: (input) => describeTask(input),
  run: async (ctx, input) => {
    const id = await startMaintenanceJob(maintenanceDb(), stateDb(), input, ctx.user.email).catch(performanceActionError)
    return { message: `Started maintenance job #${id}: ${describeTask(input)}.`, data: { id } }
  },
})

/** Cancels the statement of a running maintenance job (a cancelled CONCURRENTLY build may leave an invalid index, reported with the job). */
export const cancelMaintenanceAction = action({
  name: 'maintenance.cancel',
  permission: 'maintenance.run',
  input: z.object({ id: z.coerce.number().int().positive() }),
  target: (input) => `maintenance job #${input.id}`,
  run: async (_ctx, input) => {
    if (!(await requestMaintenanceCancel(maintenanceDb(), stateDb(), input.id))) {
      throw new ActionError('conflict', `Maintenance job #${input.id} is not running on this database.`)
    }
    return { message: `Asked maintenance job #${input.id} to cancel.` }
  },
})
