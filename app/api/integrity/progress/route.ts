import { ActionError } from '@/lib/auth/action-result'
import { can } from '@/lib/auth/permissions'
import { readRoute } from '@/lib/auth/read-route'
import { hideRowValuesInErrors } from '@/lib/db/db-errors'
import { stateDb, targetDb } from '@/lib/db/server-dbs'
import { targetIdentity } from '@/lib/db/target-identity'
import { relationFromQuery } from '@/lib/integrity/orphan-csv'
import { FIXES_SHOWN, readIntegrityProgress } from '@/lib/integrity/progress'

export const dynamic = 'force-dynamic'

/**
 * GET /api/integrity/progress[?schema=…&table=…&columns=…&refSchema=…&refTable=…&refColumns=…]:
 * the newest integrity run and the newest fixes and restores (of that relation), which the
 * Integrity pages poll while one runs. Errors may quote row values: only roles that may reveal
 * data get them.
 */
export const GET = readRoute('dashboard.read', async (user, params) => {
  const relation = params.has('schema') ? relationFromQuery((n) => params.get(n)) : undefined
  if (relation === null) throw new ActionError('invalid_input', 'The relation in the query string is incomplete.')
  const progress = await readIntegrityProgress(stateDb(), await targetIdentity(targetDb()), { relation, limit: FIXES_SHOWN })
  return can(user.role, 'data.reveal') ? progress : hideRowValuesInErrors(progress)
})
