import { readParams, readRoute } from '@/lib/auth/read-route'
import { JobsFilter } from '@/lib/jobs/job-filter'
import { jobsFor } from '@/lib/jobs/server-job-list'

export const dynamic = 'force-dynamic'

/**
 * GET /api/jobs?kind=&state=: this target's jobs, newest first, for every signed-in role; the Jobs
 * page polls it for live progress. `{ jobs }`, or `{ ok: false, code, message }` with 400 for a bad filter.
 */
export const GET = readRoute('dashboard.read', async (user, params) => ({ jobs: await jobsFor(user.role, readParams(JobsFilter, params)) }))
