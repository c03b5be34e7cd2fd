'use client'

import Link from 'next/link'
import { DataTable } from '@/components/data-table'
import { ProgressBar } from '@/components/progress-bar'
import { useLiveJson, useRefreshWhenWorkChanges } from '@/components/use-live-json'
import type { Json } from '@/lib/format/json-value'
import { formatCount } from '@/lib/format/units'
import type { FixJobView, IntegrityProgress } from '@/lib/integrity/progress'
import { isRunning as isActive, RUN_STATUS_BADGE } from '@/lib/integrity/run-status'
import { describeRelation } from '@/lib/integrity/types'
import { FixJobControls } from './fix-job-controls'
import { PROGRESS_URL } from './live-run-header'

type FixJob = Json<FixJobView>
const POLL_MS = 1500

const basename = (file: string) => file.slice(file.lastIndexOf('/') + 1)
/** The fixes and restores that run: one ending (or a new one polled) changes the page's findings and buttons. */
const activeWork = (fixes: FixJob[]) => fixes.filter(isActive).map((j) => j.id).join(',')

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
 * Orphan fixes and restores, newest first, with their progress (polled while one runs), Cancel,
 * and Restore for fixes whose saved rows can be put back. `relationQuery` narrows them to one
 * relation, as the relation's page shows them.
 */
export function FixJobs({ initial, relationQuery, canFix, showRelation, canDownload }: {
  initial: Json<IntegrityProgress>
  relationQuery?: string
  canFix: boolean
  showRelation: boolean
  canDownload: boolean
}) {
  const url = relationQuery ? `${PROGRESS_URL}?${relationQuery}` : PROGRESS_URL
  const { data, error } = useLiveJson(url, initial, (d) => (d.fixes.some(isActive) ? POLL_MS : false))
  const jobs = data.fixes
  useRefreshWhenWorkChanges(activeWork(initial.fixes), activeWork(jobs))
  return (
    <>
      {error ? (
        <div className="banner bad" role="alert">
          Live progress failed: {error.message} (showing the last answer).
        </div>
      ) : null}
      <DataTable
        label="Fixes and restores"
        testId="fix-jobs"
        className="fix-jobs"
        rows={jobs}
        rowKey={(job) => job.id}
        rowProps={(job) => ({ 'data-job-id': job.id, 'data-kind': job.kind, 'data-status': job.status })}
        empty={canFix ? 'No fixes yet. A relation with orphans has a Fix… link in the Relations table.' : 'No fixes yet.'}
        columns={[
          { key: 'id', label: '#', value: (job) => job.id },
          { key: 'what', label: 'What', value: what },
          showRelation && {
            key: 'relation',
            label: 'Relation',
            mono: true,
            cell: (job) => <Link href={`/integrity/relation?${job.relationQuery}`}>{describeRelation(job.relation)}</Link>,
          },
          {
            key: 'who',
            label: 'Who',
            cell: (job) => (
              <>
                {job.startedBy}
                {job.dbRole ? <div className="muted small">as role {job.dbRole}</div> : null}
              </>
            ),
          },
          { key: 'when', label: 'When', value: (job) => job.startedAt, format: 'timestamp' },
          { key: 'status', label: 'Status', cell: (job) => <JobStatus job={job} /> },
          {
            key: 'progress',
            label: 'Progress',
            cell: (job) => (
              <div data-testid="fix-progress">
                {isActive(job) || job.total > 0 ? <JobProgress job={job} /> : <span className="muted">–</span>}
                {job.cancelRequested && isActive(job) ? <div className="muted">cancel requested: stops after this batch</div> : null}
              </div>
            ),
          },
          {
            key: 'saved',
            label: 'Saved rows',
            className: 'mono saved-file',
            cell: (job) =>
              canDownload && job.kind === 'fix' && job.phase === 'changing' ? (
                <a href={`/api/integrity/fixes/${job.id}/rows`} download title={job.file}>
                  {basename(job.file)}
                </a>
              ) : (
                <span title={job.file}>{basename(job.file)}</span>
              ),
          },
          canFix && { key: 'controls', label: 'Controls', cell: (job) => <Controls job={job} /> },
        ]}
      />
    </>
  )
}

function JobStatus({ job }: { job: FixJob }) {
  return (
    <>
      <span className={`badge ${RUN_STATUS_BADGE[job.status]}`}>{job.status}</span>
      {job.kind === 'fix' && job.restoredBy ? (
        <span className="muted">
          {' '}
          · restored by #{job.restoredBy.id}
          {job.restoredBy.status === 'succeeded' ? '' : ` (${job.restoredBy.status})`}
        </span>
      ) : null}
      {job.status === 'interrupted' ? <div className="muted">its process stopped (server restarted?)</div> : null}
      {job.error ? <div className="result bad">{job.error}</div> : null}
    </>
  )
}

function Controls({ job }: { job: FixJob }) {
  const refusal = job.restoreRefusal
  return (
    <FixJobControls
      id={job.id}
      kind={job.kind}
      active={isActive(job)}
      cancelRequested={job.cancelRequested}
      canRestore={refusal === null}
      restoreQuestion={
        job.mode === 'delete'
          ? `Re-insert the ${job.saved} rows fix #${job.id} saved into ${job.relation.schema}.${job.relation.table}? Rows that exist again are left alone.`
          : `Put back the ${job.relation.columns.join(', ')} values of the ${job.saved} rows fix #${job.id} saved in ${job.relation.schema}.${job.relation.table}?`
      }
    />
  )
}
