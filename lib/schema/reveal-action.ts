import type { Kysely } from 'kysely'
import { z } from 'zod'
import { ActionError } from '../auth/action-result'
import type { GuardedSpec } from '../auth/guarded-run'
import { type Preview, previewRows } from './preview'
import { readRelationDetail } from './relation-detail'
import { isDbError } from '../db/db-errors'

export const RevealPreviewInput = z.object({
  schema: z.string().min(1).max(200),
  name: z.string().min(1).max(200),
})

/**
 * The table page's preview with masked (secret-looking) columns shown in clear. Admin only, and
 * audited: who revealed which table, when. The values go back in `data` only, never in the
 * message (messages are written to the audit log).
 */
export function revealPreviewSpec(targetDb: () => Kysely<any>): GuardedSpec<typeof RevealPreviewInput, Preview> {
  return {
    name: 'schema.reveal_values',
    permission: 'data.reveal',
    input: RevealPreviewInput,
    target: (i) => `${i.schema}.${i.name}`,
    async run(_ctx, input) {
      const db = targetDb()
      const detail = await readRelationDetail(db, input.schema, input.name)
      if (!detail) throw new ActionError('not_found', `No table “${input.name}” in schema “${input.schema}”.`)
      try {
        const preview = await previewRows(db, detail.relation, { reveal: true })
        return { message: 'Values revealed; this was recorded in the audit log.', data: preview }
      } catch (e) {
        if (isDbError(e, '42501')) {
          throw new ActionError('forbidden', 'The database role of this dashboard cannot read rows of this table.')
        }
        throw e
      }
    },
  }
}
