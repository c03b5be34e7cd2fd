'use server'

import { z } from 'zod'
import { action } from '@/lib/auth/action'
import { targetDb } from '@/lib/db/server-dbs'
import { formatBytes } from '@/lib/format/units'
import { dropReplicationSlot } from '@/lib/performance/replication-slots'

// Only action()-built functions are exported from this file: a unit test runs each as every role.

const SlotInput = z.object({
  // Slot names are lower-case letters, digits and underscores, at most NAMEDATALEN - 1 (63).
  name: z.string().regex(/^[a-z0-9_]{1,63}$/, { message: 'is not a replication slot name' }),
})

/** pg_drop_replication_slot of an inactive slot: the WAL it held back can be recycled. */
export const dropReplicationSlotAction = action({
  name: 'replication.drop_slot',
  permission: 'replication.manage',
  input: SlotInput,
  target: (input) => `slot ${input.name}`,
  run: async (_ctx, input) => {
    const r = await dropReplicationSlot(targetDb(), input.name)
    return {
      message: `Replication slot ${r.name} dropped${r.freedBytes ? `: ${formatBytes(r.freedBytes)} of WAL it held back can now be recycled` : ''}.`,
      data: { name: r.name },
    }
  },
})
