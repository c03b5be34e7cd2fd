import { readRoute } from '@/lib/auth/read-route'
import { openPools, targetDb } from '@/lib/db/server-dbs'
import { describePools, readConnections } from '@/lib/performance/connections'

export const dynamic = 'force-dynamic'

/** GET /api/performance/connections: server connections against the limits, and the dashboard's own pools. */
export const GET = readRoute('dashboard.read', async () => ({ server: await readConnections(targetDb()), pools: describePools(openPools()) }))
