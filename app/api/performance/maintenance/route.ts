import { readRoute } from '@/lib/auth/read-route'
import { maintenanceDb, stateDb } from '@/lib/db/server-dbs'
import { listMaintenanceJobs } from '@/lib/jobs/maintenance-job'

export const dynamic = 'force-dynamic'

/** GET /api/performance/maintenance: the newest maintenance jobs, running ones with live progress. */
export const GET = readRoute('dashboard.read', async () => ({ jobs: await listMaintenanceJobs(maintenanceDb(), stateDb()) }))
