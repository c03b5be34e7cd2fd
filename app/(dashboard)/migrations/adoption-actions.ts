'use server'

import { revalidatePath } from 'next/cache'
import { z } from 'zod'
import { action } from '@/lib/auth/action'
import { ActionError } from '@/lib/auth/action-result'
import type { ActionContext } from '@/lib/auth/guarded-run'
import { targetDb } from '@/lib/db/server-dbs'
import { targetIdentity } from '@/lib/db/target-identity'
import { baselineChain } from '@/lib/migrations/baseline'
import { recordDecision } from '@/lib/migrations/management'
import { dorMigrationSet } from '@/lib/migrations/registry'
import { whatStopped } from '@/lib/migrations/run-failure'
import { serverEnv } from '@/lib/runtime/server-env'

// Adopting an existing database: baseline the DoR chain, or record who migrates the target.
// Only action()-built functions are exported from this file: a unit test runs each as every role.

const emptyAsMissing = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v)

const checkbox = z
  .union([z.boolean(), z.enum(['true', 'false', 'on'])], { message: 'must be true or false' })
  .optional()
  .transform((v) => v === true || v === 'true' || v === 'on')

const BaselineInput = z.object({
  to: z.string({ message: 'choose the newest migration the database already has' }).trim().min(1, { message: 'choose the newest migration the database already has' }).max(300),
  acceptDifferences: checkbox,
})

const DecisionInput = z.object({
  decision: z.enum(['ours', 'elsewhere', 'auto'], { message: "must be 'ours', 'elsewhere' or 'auto'" }),
  note: z.preprocess(emptyAsMissing, z.string().trim().max(500, { message: 'must be at most 500 characters' }).optional()),
})

function actorOf(ctx: ActionContext) {
  return { id: ctx.user.id, label: ctx.user.email, source: 'dashboard' as const }
}

export const baselineAction = action({
  name: 'migrations.baseline',
  permission: 'migrations.apply',
  input: BaselineInput,
  target: (input) => `to ${input.to}${input.acceptDifferences ? ' (accepting differences)' : ''}`,
  async run(ctx, input) {
    try {
      const result = await baselineChain({
        targetUrl: serverEnv().capabilities.migrator,
        state: ctx.stateDb,
        set: await dorMigrationSet(),
        actor: actorOf(ctx),
        to: input.to,
        acceptDifferences: input.acceptDifferences,
      })
      if (!result.recorded) throw new ActionError('conflict', result.message)
      return { message: result.message, data: result }
    } catch (e) {
      throw whatStopped('The baseline', e) ?? e
    } finally {
      revalidatePath('/migrations')
    }
  },
})

const DECIDED = {
  ours: 'The DoR chain is adopted for this database: its pending migrations can be applied.',
  elsewhere: 'Recorded: migrations of this database are managed elsewhere. The DoR chain is not offered here until an admin adopts it.',
  auto: 'Decision withdrawn: the Migrations page goes by what the database holds again.',
} as const

export const decideManagementAction = action({
  name: 'migrations.decide',
  permission: 'migrations.apply',
  input: DecisionInput,
  target: (input) => input.decision,
  async run(ctx, input) {
    try {
      const target = await targetIdentity(targetDb())
      await recordDecision(ctx.stateDb, { target, decision: input.decision, note: input.note ?? null, by: actorOf(ctx) })
      return { message: DECIDED[input.decision] }
    } catch (e) {
      throw whatStopped('Recording the decision', e) ?? e
    } finally {
      revalidatePath('/migrations')
    }
  },
})
