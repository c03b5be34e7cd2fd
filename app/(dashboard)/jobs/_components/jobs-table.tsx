'use client'

import { useQuery, useQueryClient } from '@tanstack/react-query'
import Link from 'next/link'
import { useState, useTransition } from 'react'
import { DataTable } from '@/components/data-table'
import { ProgressBar } from '@/components/progress-bar'
import type { ActionResult } from '@/lib/auth/action-result'
import type { JobView } from '@/lib/jobs/job-view'
import { cancelJobAction } from '../actions'
import { ResultMessage } from '@/components/result-message'

interface Props {
  initial: JobView[]
  filter: { kind?: string; state?: string }
}

// Polls fast while something is queued or running, slowly otherwise (a job may be queued elsewhere: the CLI, another instance).
const ACTIVE_POLL_MS = 1_500
const IDLE_POLL_MS = 10_000

/** The jobs table, kept current by polling GET /api/jobs (see app/api/jobs/route.ts) through the dashboard's QueryProvider. */
export function JobsTable(props: Props) {
  return <LiveJobs {...props} />
}

async function fetchJobs(filter: Props['filter']): Promise<JobView[]> {
  const q = new URLSearchParams(Object.entries(filter).filter((e): e is [string, string] => !!e[1]))
  const res = await fetch(`/api/jobs?${q}`, { headers: { accept: 'application/json' } })
  const body = (await res.json()) as { jobs: JobView[] } | { ok: false; message: string }
  if (!res.ok || !('jobs' in body)) throw new Error('message' in body ? body.message : `The jobs could not be read (HTTP ${res.status}).`)
  return body.jobs
}

const STATE_BADGE: Record<JobView['state'], string> = {
  queued: 'muted',
  running: 'warn',
  succeeded: 'ok',
  failed: 'bad',
  cancelled: 'muted',
  interrupted: 'bad',
}

function durationMs(j: JobView, now: number): number | null {
  if (!j.startedAt) return null
  return (j.finishedAt ? Date.parse(j.finishedAt) : now) - Date.parse(j.startedAt)
}

function LiveJobs({ initial, filter }: Props) {
  const query = useQuery({
    queryKey: ['jobs', filter.kind ?? '', filter.state ?? ''],
    queryFn: () => fetchJobs(filter),
    initialData: initial,
    refetchInterval: (q) => ((q.state.data ?? []).some((j) => j.state === 'queued' || j.state === 'running') ? ACTIVE_POLL_MS : IDLE_POLL_MS),
  })
  const jobs = query.data
  const now = query.dataUpdatedAt || Date.now()
  return (
    <>
      {query.error ? (
        <p role="alert" className="result bad">
          The list could not be refreshed: {query.error.message}
        </p>
      ) : null}
      <DataTable
        label="Jobs"
        testId="jobs-table"
        rows={jobs}
        rowKey={(j) => j.id}
        rowProps={(j) => ({ 'data-job': j.id, 'data-state': j.state })}
        empty={filter.kind || filter.state ? 'No jobs match. Clear the filter to see every job.' : 'No jobs yet: integrity runs, fixes and migration checks show here once started.'}
        columns={[
          { key: 'id', label: 'Job', value: (j) => `#${j.id}`, nowrap: true },
          { key: 'kind', label: 'Kind', cell: (j) => <span title={j.kind}>{j.title}</span> },
          { key: 'subject', label: 'Target', value: (j) => j.subject, mono: true },
          { key: 'state', label: 'State', nowrap: true, cell: (j) => <span className={`badge ${STATE_BADGE[j.state]}`}>{j.cancelRequested && j.state === 'running' ? 'stopping' : j.state}</span> },
          { key: 'by', label: 'Started by', cell: (j) => (j.trigger === 'schedule' ? <span className="muted">schedule</span> : <span title={j.trigger}>{j.startedBy}</span>) },
          { key: 'progress', label: 'Progress', cell: (j) => <Progress job={j} /> },
          { key: 'created', label: 'Queued', value: (j) => j.createdAt, format: 'timestamp' },
          { key: 'duration', label: 'Duration', value: (j) => durationMs(j, now), format: 'duration' },
          {
            key: 'result',
            label: 'Result',
            cell: (j) => (
              <span className={j.error ? 'result bad' : undefined}>
                {[j.message, j.error].filter(Boolean).join(' ') || <span className="muted">–</span>}
              </span>
            ),
          },
          {
            key: 'links',
            label: 'Produced',
            cell: (j) =>
              j.links.map((l) => (
                <div key={l.href + l.label}>
                  <Link href={l.href} className="nowrap">
                    {l.label}
                  </Link>
                </div>
              )),
          },
          { key: 'cancel', label: 'Cancel', cell: (j) => (j.canCancel ? <CancelButton job={j} /> : null) },
        ]}
      />
    </>
  )
}

function Progress({ job }: { job: JobView }) {
  const { done, total, label } = job.progress
  if (job.state !== 'running') return label && job.state !== 'succeeded' ? <span className="muted">{label}</span> : null
  if (!total) return <span className="muted">{label ?? 'running'}</span>
  return (
    <ProgressBar label={`Progress of job #${job.id}`} done={done ?? 0} total={total} testId="job-progress">
      {done ?? 0}/{total} {label ?? ''}
    </ProgressBar>
  )
}

function CancelButton({ job }: { job: JobView }) {
  const client = useQueryClient()
  const [pending, startTransition] = useTransition()
  const [result, setResult] = useState<ActionResult<unknown> | null>(null)
  function click() {
    if (!window.confirm(`Cancel job #${job.id} (${job.title} on ${job.subject})?`)) return
    startTransition(async () => {
      const r = await cancelJobAction({ jobId: job.id })
      setResult(r)
      await client.invalidateQueries({ queryKey: ['jobs'] })
    })
  }
  return (
    <span className="inline">
      <button type="button" className="danger" disabled={pending || job.cancelRequested} onClick={click} aria-label={`Cancel job #${job.id}`}>
        {pending ? '…' : job.cancelRequested ? 'Stopping…' : 'Cancel'}
      </button>
      <ResultMessage result={result} />
    </span>
  )
}
