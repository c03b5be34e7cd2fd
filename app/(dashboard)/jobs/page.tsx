import Link from 'next/link'
import { requireUser } from '@/lib/auth/current-user'
import { JOB_KINDS } from '@/lib/jobs/all-kinds'
import { JobsFilter } from '@/lib/jobs/job-filter'
import { JOB_STATES } from '@/lib/jobs/job-store'
import { jobsFor } from '@/lib/jobs/server-job-list'
import { JobsTable } from './_components/jobs-table'
import { SchedulesPanel } from './_components/schedules-panel'

/**
 * Every background job of this database (integrity runs, fixes and restores, migration checks),
 * newest first, whoever started it (page, CLI, schedule, another dashboard instance).
 */
export default async function JobsPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const user = await requireUser('dashboard.read')
  const parsed = JobsFilter.safeParse(await searchParams)
  const filter: JobsFilter = parsed.success ? parsed.data : { kind: undefined, state: undefined }
  const jobs = await jobsFor(user.role, filter)
  return (
    <>
      <h1>Jobs</h1>
      <form className="row card" method="get" style={{ marginBottom: 16 }} aria-label="Filter the jobs">
        <label>
          Kind
          <select name="kind" defaultValue={filter.kind ?? ''}>
            <option value="">any</option>
            {JOB_KINDS.map((k) => (
              <option key={k.kind} value={k.kind}>
                {k.title}
              </option>
            ))}
          </select>
        </label>
        <label>
          State
          <select name="state" defaultValue={filter.state ?? ''}>
            <option value="">any</option>
            {JOB_STATES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <button type="submit" className="primary">
          Filter
        </button>
        <Link href="/jobs" className="button">
          Clear
        </Link>
      </form>
      <JobsTable initial={jobs} filter={{ kind: filter.kind, state: filter.state }} />
      <SchedulesPanel user={user} />
    </>
  )
}
