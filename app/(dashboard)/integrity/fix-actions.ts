'use server'

import path from 'node:path'
import { revalidatePath } from 'next/cache'
import { z } from 'zod'
import { action } from '@/lib/auth/action'
import { ActionError } from '@/lib/auth/action-result'
import { loadConfig } from '@/lib/config'
import { targetIdentity } from '@/lib/db/target-identity'
import { planFix } from '@/lib/integrity/fix-orphans'
import { getFixJob } from '@/lib/integrity/fix-store'
import { findCheckedRelation } from '@/lib/integrity/orphan-csv'
import { integrityTargetDb, integrityWriterDb } from '@/lib/db/server-dbs'
import { serverJobs } from '@/lib/jobs/server-jobs'
import { describeRelation } from '@/lib/integrity/types'
import { id, RelationInput } from './inputs'
import { startJob } from './job-start'

// Only action()-built functions are exported from this file: a unit test runs each as every role.

const FixInput = RelationInput.extend({
  mode: z.enum(['delete', 'set_null'], { message: "must be 'delete' or 'set_null'" }),
  confirm: z.string({ message: 'type the confirmation text' }).trim().min(1, { message: 'type the confirmation text' }),
})

function fileSafe(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]/g, '_')
}

function fixFile(schema: string, table: string): string {
  const stamp = new Date().toISOString().replace(/[-:.]/g, '')
  return path.join(loadConfig().dataPath, 'backups', `integrity-fix-${fileSafe(schema)}.${fileSafe(table)}-${stamp}.jsonl`)
}

/** What the user must type to confirm a fix of `count` rows. */
function confirmationText(mode: 'delete' | 'set_null', count: number): string {
  return `${mode === 'delete' ? 'DELETE' : 'SET NULL'} ${count}`
}

/**
 * Starts the fix of a checked relation's orphans in the background: every affected row is saved to
 * a file under the backup directory, then deleted or its reference set to NULL in batches. The page
 * follows the job, which can be cancelled between batches and restored. Admins only ('data.fix').
 */
export const fixOrphansAction = action({
  name: 'integrity.fix_orphans',
  permission: 'data.fix',
  input: FixInput,
  target: (input) => describeRelation(input),
  async run(ctx, input) {
    const db = integrityWriterDb()
    const rel = await findCheckedRelation(db, ctx.stateDb, input)
    if (!rel) throw new ActionError('not_found', `${describeRelation(input)} is not a relation the integrity checks know.`)
    const plan = await planFix(db, rel)
    if (plan.count === 0) throw new ActionError('conflict', `${describeRelation(rel)} has no orphans left to fix.`)
    const expected = confirmationText(input.mode, plan.count)
    if (input.confirm !== expected) {
      throw new ActionError('invalid_input', `Type ${expected} to confirm (there are ${plan.count} orphan rows now).`)
    }
    // The same refusals the job would meet, given now rather than as a failed job.
    if (plan.keyColumns.length === 0) {
      throw new ActionError('invalid_input', `${rel.schema}.${rel.table} has no primary key: rows cannot be fixed and restored safely. Add one first.`)
    }
    if (input.mode === 'set_null' && !plan.canSetNull) {
      throw new ActionError('invalid_input', `${rel.columns.join(', ')} ${rel.columns.length === 1 ? 'does' : 'do'} not allow NULL: only deleting is possible.`)
    }
    const file = fixFile(rel.schema, rel.table)
    const job = await startJob(async () =>
      (await serverJobs()).enqueue('integrity.fix', { relation: rel, mode: input.mode, file, total: plan.count }, { startedBy: ctx.user.email, trigger: 'manual' }),
    )
    const fixId = job.refId!
    revalidatePath('/integrity')
    const rows = `${plan.count} row${plan.count === 1 ? '' : 's'}`
    const what =
      input.mode === 'delete'
        ? `delete ${rows} of ${rel.schema}.${rel.table}`
        : `set ${rel.columns.join(', ')} to NULL in ${rows} of ${rel.schema}.${rel.table}`
    return {
      message: `Started fix #${fixId} to ${what}; every row is saved to ${file} first.`,
      data: { fixId, file, jobId: job.id },
    }
  },
})

export const cancelFixAction = action({
  name: 'integrity.fix.cancel',
  permission: 'data.fix',
  input: z.object({ fixId: id }),
  target: (input) => `fix job #${input.fixId}`,
  async run(ctx, input) {
    const fix = await getFixJob(ctx.stateDb, input.fixId)
    const here = (await targetIdentity(integrityTargetDb())).key
    const cancelled = fix?.jobId && fix.targetKey === here ? await (await serverJobs()).cancel(fix.jobId) : null
    if (!cancelled?.ok) throw new ActionError('conflict', `Job #${input.fixId} is not running.`)
    revalidatePath('/integrity')
    return { message: `Job #${input.fixId} stops after its current batch; the batches done so far stay done.` }
  },
})

/** Puts back what a fix changed, from the rows it saved before changing them. Admins only. */
export const restoreFixAction = action({
  name: 'integrity.fix.restore',
  permission: 'data.fix',
  input: z.object({ fixId: id }),
  target: (input) => `fix job #${input.fixId}`,
  async run(ctx, input) {
    const fix = await getFixJob(ctx.stateDb, input.fixId)
    if (!fix) throw new ActionError('invalid_input', `There is no fix #${input.fixId}.`)
    const job = await startJob(async () =>
      (await serverJobs()).enqueue('integrity.restore', { fixId: input.fixId, relation: fix.relation }, { startedBy: ctx.user.email, trigger: 'manual' }),
    )
    const restoreId = job.refId!
    revalidatePath('/integrity')
    return { message: `Started restore #${restoreId} of fix #${input.fixId}.`, data: { restoreId, jobId: job.id } }
  },
})
