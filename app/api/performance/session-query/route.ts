import { readRoute } from '@/lib/auth/read-route'
import { targetDb } from '@/lib/db/server-dbs'
import { getSessionQuery } from '@/lib/performance/activity'
import { PerformanceError } from '@/lib/performance/performance-error'

export const dynamic = 'force-dynamic'

/** GET /api/performance/session-query?pid=N: one session's whole query text, shown on demand. */
export const GET = readRoute('dashboard.read', async (_user, params) => {
  const pid = Number(params.get('pid'))
  if (!Number.isInteger(pid) || pid <= 0 || pid > 2 ** 31 - 1) throw new PerformanceError('invalid_input', 'Give the session as ?pid=N.')
  const q = await getSessionQuery(targetDb(), pid)
  if (!q) throw new PerformanceError('invalid_input', `There is no session with pid ${pid} (it may have ended).`)
  return q
})
