'use server'

import { revalidatePath } from 'next/cache'
import { z } from 'zod'
import { action } from '@/lib/auth/action'
import { ActionError } from '@/lib/auth/action-result'
import { decideAllSuggestions } from '@/lib/integrity/relation-suggestions'
import { deleteSoftRelation, saveSoftRelation } from '@/lib/integrity/soft-relations'
import { integrityTargetDb } from '@/lib/db/server-dbs'
import { targetIdentity } from '@/lib/db/target-identity'
import { describeRelation } from '@/lib/integrity/types'
import { emptyAsMissing, id, RelationInput } from './inputs'

// Only action()-built functions are exported from this file: a unit test runs each as every role.

const SoftRelationInput = RelationInput.extend({
  status: z.enum(['accepted', 'dismissed'], { message: "must be 'accepted' or 'dismissed'" }),
  origin: z.enum(['manual', 'suggestion'], { message: "must be 'manual' or 'suggestion'" }),
  note: z.preprocess(emptyAsMissing, z.string().trim().max(500, { message: 'must be at most 500 characters' }).optional()),
})

export const saveSoftRelationAction = action({
  name: 'integrity.soft_relation.save',
  permission: 'checks.run',
  input: SoftRelationInput,
  target: (input) => describeRelation(input),
  async run(ctx, input) {
    await saveSoftRelation(integrityTargetDb(), ctx.stateDb, { ...input, by: ctx.user.email })
    revalidatePath('/integrity')
    const what = describeRelation(input)
    return {
      message:
        input.status === 'accepted'
          ? `Saved ${what}: the next run checks it for orphans.`
          : `Dismissed ${what}: it is no longer suggested.`,
    }
  },
})

/** Accepts or dismisses every open suggestion in one go. */
export const decideAllSuggestionsAction = action({
  name: 'integrity.suggestions.decide_all',
  permission: 'checks.run',
  input: z.object({ status: z.enum(['accepted', 'dismissed'], { message: "must be 'accepted' or 'dismissed'" }) }),
  target: (input) => `all suggestions ${input.status}`,
  async run(ctx, input) {
    const n = await decideAllSuggestions(integrityTargetDb(), ctx.stateDb, { status: input.status, by: ctx.user.email })
    if (n === 0) throw new ActionError('conflict', 'There are no open suggestions.')
    revalidatePath('/integrity')
    const what = `${n} suggestion${n === 1 ? '' : 's'}`
    return {
      message: input.status === 'accepted' ? `Accepted ${what}: the next run checks them as soft relations.` : `Dismissed ${what}: they are no longer suggested or checked.`,
      data: { count: n },
    }
  },
})

export const deleteSoftRelationAction = action({
  name: 'integrity.soft_relation.delete',
  permission: 'checks.run',
  input: z.object({ id }),
  target: (input) => `soft relation #${input.id}`,
  async run(ctx, input) {
    if (!(await deleteSoftRelation(ctx.stateDb, input.id, (await targetIdentity(integrityTargetDb())).key))) {
      throw new ActionError('not_found', `There is no soft relation #${input.id}.`)
    }
    revalidatePath('/integrity')
    return { message: `Removed soft relation #${input.id}.` }
  },
})
