'use server'

import { revalidatePath } from 'next/cache'
import { z } from 'zod'
import { action } from '@/lib/auth/action'
import { stateDb, targetDb } from '@/lib/db/server-dbs'
import { takeSnapshot } from '@/lib/schema/take-snapshot'

export const takeSnapshotAction = action({
  name: 'schema.snapshot',
  permission: 'schema.snapshot',
  input: z.object({ note: z.string().trim().max(200).optional().default('') }),
  async run(ctx, input) {
    const meta = await takeSnapshot(targetDb(), stateDb(), {
      reason: input.note ? `manual: ${input.note}` : 'manual',
      takenById: ctx.user.id,
      takenBy: ctx.user.email,
    })
    revalidatePath('/schema/snapshots')
    return {
      message: `Snapshot #${meta.id} of ${meta.database} saved (${meta.summary.tables} tables, ${meta.summary.columns} columns).`,
      data: { id: meta.id },
      target: meta.database,
    }
  },
})
