import { readRoute } from '@/lib/auth/read-route'
import { serverMaintenanceJobs } from '@/lib/performance/server-maintenance-jobs'

export const dynamic = 'force-dynamic'

/** GET /api/performance/maintenance: the newest maintenance jobs, running ones with live progress. */
export const GET = readRoute('dashboard.read', async (user) => ({ jobs: await serverMaintenanceJobs(user.role) }))
