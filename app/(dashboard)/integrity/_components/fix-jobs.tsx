import path from 'node:path'
import Link from 'next/link'
import { ProgressBar } from '@/components/progress-bar'
import { formatCount, formatTimestamp } from '@/lib/format/units'
import type { TargetIdentity } from '@/lib/db/target-identity'
import { restoreRefusal } from '@/lib/integrity/fix-job'
import type { FixJob } from '@/lib/integrity/fix-store'
import { relationQuery } from '@/lib/integrity/orphan-csv'
import { describeRelation } from '@/lib/integrity/types'
import { AutoRefresh } from './auto-refresh'
import { FixJobControls } from './fix-job-controls'
import { isActive, RUN_STATUS_BADGE } from './integrity-data'

function what(job: FixJob): string {
  if (job.kind === 'restore') return `restore of #${job.restoresFix ?? '?'}`
  return job.mode === 'delete' ? 'delete rows' : `set ${job.relation.columns.join(', ')} to NULL`
}

function JobProgress({ job }: { job: FixJob }) {
  const n = (v: number) => formatCount(v)
  if (job.kind === 'restore') {
    return (
      <ProgressBar label={`Job #${job.id}`} done={job.changed} total={job.total}>
        {n(job.changed)} of {n(job.total)} saved rows put back
      </ProgressBar>
    )
  }
  if (job.phase === 'changing') {
    return (
      <ProgressBar label={`Job #${job.id}`} done={job.changed} total={job.total}>
        {n(job.changed)} of {n(job.total)} rows {job.mode === 'delete' ? 'deleted' : 'set to NULL'} · all {n(job.saved)} saved first
      </ProgressBar>
    )
  }
  return (
    <ProgressBar label={`Job #${job.id}`} done={job.saved} total={job.total}>
      saving rows: {n(job.saved)} of {n(job.total)}
    </ProgressBar>
  )
}

/**
 * Orphan fixes and restores, newest first, with their progress while they run, Cancel, and Restore
 * for fixes whose saved rows can be put back. Refreshes the page while one is running.
 */
export function FixJobs({ jobs, target, canFix, showRelation, canDownload }: {
  jobs: FixJob[]
  target: TargetIdentity
  canFix: boolean
  showRelation: boolean
  canDownload: boolean
}) {
  const anyActive = jobs.some(isActive)
  return (
    <div className="scroll-x">
      <table className="data fix-jobs" data-testid="fix-jobs">
        <thead>
          <tr>
            <th>#</th>
            <th>What</th>
            {showRelation ? <th>Relation</th> : null}
            <th>Who</th>
            <th>When</th>
            <th>Status</th>
            <th>Progress</th>
            <th>Saved rows</th>
            {canFix ? <th /> : null}
          </tr>
        </thead>
        <tbody>
          {jobs.length === 0 ? (
            <tr>
              <td colSpan={9} className="muted">
                No fixes yet.
              </td>
            </tr>
          ) : null}
          {jobs.map((job) => {
            const active = isActive(job)
            const refusal = job.kind === 'fix' ? restoreRefusal(job, target) : 'a restore'
            return (
              <tr key={job.id} data-job-id={job.id} data-kind={job.kind} data-status={job.status}>
                <td>{job.id}</td>
                <td>{what(job)}</td>
                {showRelation ? (
                  <td className="mono">
                    <Link href={`/integrity/relation?${relationQuery(job.relation)}`}>{describeRelation(job.relation)}</Link>
                  </td>
                ) : null}
                <td>
                  {job.startedBy}
                  {job.dbRole ? <div className="muted small">as role {job.dbRole}</div> : null}
                </td>
                <td className="muted nowrap">{formatTimestamp(job.startedAt)}</td>
                <td>
                  <span className={`badge ${RUN_STATUS_BADGE[job.status]}`}>{job.status}</span>
                  {job.kind === 'fix' && job.restoredBy ? (
                    <span className="muted"> · restored by #{job.restoredBy.id}{job.restoredBy.status === 'succeeded' ? '' : ` (${job.restoredBy.status})`}</span>
                  ) : null}
                  {job.status === 'interrupted' ? <div className="muted">its process stopped (server restarted?)</div> : null}
                  {job.error ? <div className="result bad">{job.error}</div> : null}
                </td>
                <td data-testid="fix-progress">
                  {active || job.total > 0 ? <JobProgress job={job} /> : <span className="muted">–</span>}
                  {job.cancelRequested && active ? <div className="muted">cancel requested: stops after this batch</div> : null}
                </td>
                <td className="mono saved-file" title={job.file}>
                  {canDownload && job.kind === 'fix' && job.phase === 'changing' ? (
                    <a href={`/api/integrity/fixes/${job.id}/rows`} download>
                      {path.basename(job.file)}
                    </a>
                  ) : (
                    path.basename(job.file)
                  )}
                </td>
                {canFix ? (
                  <td>
                    <FixJobControls
                      id={job.id}
                      kind={job.kind}
                      active={active}
                      cancelRequested={job.cancelRequested}
                      canRestore={refusal === null}
                      restoreQuestion={
                        job.mode === 'delete'
                          ? `Re-insert the ${job.saved} rows fix #${job.id} saved into ${job.relation.schema}.${job.relation.table}? Rows that exist again are left alone.`
                          : `Put back the ${job.relation.columns.join(', ')} values of the ${job.saved} rows fix #${job.id} saved in ${job.relation.schema}.${job.relation.table}?`
                      }
                    />
                  </td>
                ) : null}
              </tr>
            )
          })}
        </tbody>
      </table>
      {anyActive ? <AutoRefresh /> : null}
    </div>
  )
}
