import { readRoute } from '@/lib/auth/read-route'
import { signalDb, targetDb } from '@/lib/db/server-dbs'
import { listActivity } from '@/lib/performance/activity'

export const dynamic = 'force-dynamic'

/** GET /api/performance/activity: the Activity page's live sessions and blocking tree. */
export const GET = readRoute('dashboard.read', () => listActivity(targetDb(), { signalDb: signalDb() }))
