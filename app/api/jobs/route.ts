import { JobsFilter } from '@/lib/jobs/job-filter'
import { jobsFor } from '@/lib/jobs/server-job-list'
import { readRoute } from '@/lib/auth/action'

export const dynamic = 'force-dynamic'

/**
 * GET /api/jobs?kind=&state=: this target's jobs, newest first, for every signed-in role; the Jobs
 * page polls it for live progress. `{ ok, data: { jobs } }`, or `{ ok: false, code, message }`.
 */
export const GET = readRoute({
  name: 'jobs.list',
  permission: 'dashboard.read',
  input: JobsFilter,
  async run(ctx, filter) {
    return { message: 'ok', data: { jobs: await jobsFor(ctx.user.role, filter) } }
  },
})
