'use client'

import Link from 'next/link'
import { useEffect, useMemo, useRef } from 'react'
import { useLiveJson, useRefreshWhenWorkChanges } from '@/components/use-live-json'
import type { ActionResult } from '@/lib/auth/action-result'
import type { JobView } from '@/lib/jobs/job-view'

const POLL_MS = 1000
const isActive = (job: JobView) => job.state === 'queued' || job.state === 'running'

/** How an ended Alembic job reads in the run result: its message, and Alembic's error when it failed. */
export function jobOutcome(job: JobView): ActionResult<unknown> {
  if (job.state === 'succeeded') return { ok: true, code: 'ok', message: job.message ?? `Job #${job.id} succeeded.` }
  const parts = [job.message, job.error].filter((p, i, all): p is string => !!p && all.indexOf(p) === i)
  const message = `Job #${job.id} ${job.state}${parts.length ? `: ${parts.join('\n\n')}` : '.'}`
  return { ok: false, code: job.state === 'cancelled' ? 'cancelled' : 'migration_failed', message }
}

/**
 * Follows a queued Alembic upgrade or downgrade through GET /api/jobs until it ends: its state and
 * Alembic's latest output line meanwhile, then `onEnd` with the ended job (the run result shows it)
 * and one re-render of the page (revisions, history and buttons change).
 */
export function AlembicJob({ job, onEnd }: { job: JobView; onEnd: (job: JobView) => void }) {
  // The route lists this target's jobs of one kind, newest first; a poll from before this job was
  // queued (react-query's cache of the same URL) does not hold it yet and keeps polling.
  // A new `initial` object replaces the poll's data (useLiveJson): one per job, not per render.
  const initial = useMemo(() => ({ jobs: [job] }), [job])
  const { data, error } = useLiveJson(`/api/jobs?kind=${encodeURIComponent(job.kind)}`, initial, (d) => {
    const seen = d.jobs.find((j) => j.id === job.id)
    return !seen || isActive(seen) ? POLL_MS : false
  })
  const now = data.jobs.find((j) => j.id === job.id) ?? job
  useRefreshWhenWorkChanges(isActive(job) ? String(job.id) : '', isActive(now) ? String(now.id) : '')
  const ended = useRef(false)
  useEffect(() => {
    if (isActive(now) || ended.current) return
    ended.current = true
    onEnd(now)
  }, [now, onEnd])
  if (!isActive(now)) return null
  const { done, label } = now.progress
  return (
    <div className="banner" role="status" aria-live="polite" data-testid="alembic-job" data-job-id={now.id} data-state={now.state}>
      <strong>
        {now.title} (job #{now.id}): {now.state === 'queued' ? 'queued, waiting for a worker' : 'running'}
        {now.cancelRequested ? ', cancel requested' : ''}
      </strong>
      {label ? (
        <div className="mono small" data-testid="alembic-job-progress">
          {done ? `${done} lines · ` : ''}
          {label}
        </div>
      ) : null}
      <div className="small">
        <Link href="/jobs">Follow or cancel it on the Jobs page</Link>
      </div>
      {error ? <div className="muted">Live progress failed: {error.message} (showing the last answer).</div> : null}
    </div>
  )
}
