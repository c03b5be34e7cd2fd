'use client'

import { useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { ConfirmActionButton } from '@/components/confirm-action-button'
import { DataTable } from '@/components/data-table'
import { SqlBlock } from '@/components/sql-block'
import { useLiveJson } from '@/components/use-live-json'
import type { Json } from '@/lib/format/json-value'
import { formatDuration } from '@/lib/format/units'
import type { Activity, BlockingTreeNode, Session } from '@/lib/performance/activity'
import { cancelSessionAction, terminateSessionAction } from '../actions'
import { BlockingTree } from './blocking-tree'

const URL = '/api/performance/activity'
const ROW_CLASS = { ok: '', long: 'session-long', 'very-long': 'session-very-long' } as const

function FullQuery({ pid }: { pid: number }) {
  const [loaded, setLoaded] = useState<{ sql: string } | { message: string } | null>(null)
  async function load(open: boolean) {
    if (!open || loaded !== null) return
    const res = await fetch(`/api/performance/session-query?pid=${pid}`, { cache: 'no-store' })
    const body = (await res.json()) as { query?: string; message?: string }
    setLoaded(res.ok ? { sql: body.query ?? '' } : { message: body.message ?? 'Could not read the query.' })
  }
  return (
    <details onToggle={(e) => void load((e.currentTarget as HTMLDetailsElement).open)}>
      <summary>Whole query</summary>
      {loaded === null ? (
        <p className="query-text">…</p>
      ) : 'sql' in loaded ? (
        <SqlBlock sql={loaded.sql} label={`Query of session ${pid}`} wrap />
      ) : (
        <p className="query-text">{loaded.message}</p>
      )}
    </details>
  )
}

function RunningBadge({ s }: { s: Json<Session> }) {
  if (s.running === 'very-long') return <span className="badge bad">over 5 min</span>
  if (s.running === 'long') return <span className="badge warn">over 30 s</span>
  return null
}

export function LiveActivity({ initial, canCancel, canTerminate }: { initial: Json<Activity>; canCancel: boolean; canTerminate: boolean }) {
  const { data, error, isFetching } = useLiveJson(URL, initial, 5000)
  const queryClient = useQueryClient()
  const refetch = () => void queryClient.invalidateQueries({ queryKey: [URL] })
  // Kept above the table: the row of a cancelled or terminated session changes or goes on the next poll.
  const [notice, setNotice] = useState<{ ok: boolean; message: string } | null>(null)
  const c = data.counts
  const clients = data.sessions.filter((s) => s.backendType === 'client backend')
  return (
    <>
      {error ? (
        <div className="banner bad" role="alert">
          Live refresh failed: {error.message} (showing the last answer).
        </div>
      ) : null}
      {notice ? (
        <div className={`banner ${notice.ok ? 'ok' : 'bad'}`} role="status" data-testid="activity-notice">
          {notice.message}
        </div>
      ) : null}
      <div className="grid" data-testid="activity-counts">
        {(
          [
            ['Client sessions', c.clientBackends],
            ['Active', c.active],
            ['Idle in transaction', c.idleInTransaction],
            ['Waiting on a lock', c.waiting],
            ['Over 30 s', c.long],
            ['Over 5 min', c.veryLong],
          ] as const
        ).map(([label, n]) => (
          <div className="card" key={label}>
            <div className="stat-label">{label}</div>
            <div className="stat">{n}</div>
          </div>
        ))}
      </div>
      {data.limitations.map((l) => (
        <div className="banner warn" key={l}>
          {l}
        </div>
      ))}
      <div className="card">
        <h2>Blocking chains</h2>
        {data.blocking.length === 0 ? (
          <p className="muted" data-testid="no-blocking">
            No session waits for another&apos;s lock.
          </p>
        ) : (
          <BlockingTree roots={data.blocking as Json<BlockingTreeNode>[]} sessions={data.sessions} />
        )}
      </div>
      <div className="card">
        <h2>
          Sessions <span className="muted">{isFetching ? '(refreshing…)' : `(as of ${new Date(data.takenAt).toISOString().slice(11, 19)} UTC)`}</span>
        </h2>
        <DataTable
          label="Sessions"
          testId="sessions"
          rows={clients}
          rowKey={(s) => s.pid}
          rowProps={(s) => ({
            'data-pid': s.pid,
            'data-running': s.running,
            className: [ROW_CLASS[s.running], s.idleInTransaction ? 'session-idle-tx' : ''].filter(Boolean).join(' ') || undefined,
          })}
          empty="No client sessions."
          columns={[
            { key: 'pid', label: 'PID', value: (s) => s.pid, mono: true },
            { key: 'duration', label: 'Duration', nowrap: true, cell: (s) => (s.durationSeconds === null ? '–' : <>{formatDuration(s.durationSeconds)} <RunningBadge s={s} /></>) },
            {
              key: 'state',
              label: 'State',
              nowrap: true,
              cell: (s) => (s.idleInTransaction ? <span className="badge warn">{s.state}</span> : (s.state ?? '–')),
            },
            { key: 'wait', label: 'Waits for', cell: (s) => (s.waitingFor ? s.waitingFor.description : s.waitEvent ? `${s.waitEventType}: ${s.waitEvent}` : '–') },
            { key: 'user', label: 'User', value: (s) => s.user, mono: true },
            { key: 'db', label: 'Database', value: (s) => s.database, mono: true },
            { key: 'app', label: 'Application', cell: (s) => <>{s.applicationName || '–'}{s.dashboard ? <span className="badge muted">dashboard</span> : null}</> },
            { key: 'client', label: 'Client', value: (s) => (s.client ? `${s.client}${s.clientPort ? `:${s.clientPort}` : ''}` : null), mono: true },
            {
              key: 'query',
              label: 'Query',
              cell: (s) =>
                s.hidden ? (
                  <span className="muted">hidden from the dashboard&apos;s role (needs pg_read_all_stats)</span>
                ) : (
                  <>
                    <code className="query-text">{s.queryPreview}</code>
                    {s.queryTruncated ? <FullQuery pid={s.pid} /> : null}
                  </>
                ),
            },
            (canCancel || canTerminate) && {
              key: 'actions',
              label: 'Actions',
              nowrap: true,
              cell: (s) =>
                s.dashboard || s.self ? (
                  <span className="muted">the dashboard&apos;s own</span>
                ) : (
                  <>
                    {canCancel && s.state === 'active' ? (
                      <ConfirmActionButton
                        action={cancelSessionAction}
                        input={{ pid: s.pid }}
                        label="Cancel"
                        ariaLabel={`Cancel the query of session ${s.pid}`}
                        confirmText={`Cancel the running query of session ${s.pid} (${s.user ?? 'unknown user'})? The session stays connected.`}
                        onDone={refetch}
                        onResult={setNotice}
                        testId="cancel-session"
                      />
                    ) : null}
                    {canTerminate ? (
                      <ConfirmActionButton
                        action={terminateSessionAction}
                        input={{ pid: s.pid }}
                        label="Terminate"
                        danger
                        ariaLabel={`Terminate session ${s.pid}`}
                        confirmText={`Terminate session ${s.pid} (${s.user ?? 'unknown user'})? Its open transaction is rolled back.`}
                        onDone={refetch}
                        onResult={setNotice}
                        testId="terminate-session"
                      />
                    ) : null}
                  </>
                ),
            },
          ]}
        />
      </div>
    </>
  )
}
