'use client'

import { useRouter } from 'next/navigation'
import { useCallback, useState, useTransition } from 'react'
import type { ActionResult } from '@/lib/auth/action-result'
import type { JobView } from '@/lib/jobs/job-view'
import { alembicDowngradeAction, alembicDriftAction, alembicDryRunAction, alembicRehearseAction, alembicUpgradeAction } from '../alembic-actions'
import { ConfirmDialog } from '@/components/confirm-dialog'
import { AlembicJob, jobOutcome } from './alembic-job'
import { useRunResult } from './run-result'
import { useHydrated } from '@/components/use-hydrated'

interface Props {
  /** Where the database is, for the confirmations. */
  database: string
  pending: string[]
  /** Revisions below the current one, newest first: where a downgrade can go. */
  applied: string[]
  current: string[]
  /** Why upgrade is refused (several heads), or null. */
  upgradeRefused: string | null
  canCheck: boolean
  canUpgrade: boolean
  canDowngrade: boolean
  /** The Alembic run of this database queued or running when the page was rendered, whoever started it. */
  activeJob: JobView | null
}

interface CheckShown {
  title: string
  result: ActionResult<unknown>
}

/** The text a check's data holds: the SQL of a dry run, the differences of a rehearsal or drift check. */
function details(result: ActionResult<unknown>): string | null {
  if (!result.ok || !result.data) return null
  const d = result.data as { sql?: string; downDiff?: { detail: string; name: string }[]; changes?: { change: string; object: string; name: string; detail: string }[] }
  if (d.sql) return d.sql
  const changes = [...(d.downDiff ?? []), ...(d.changes ?? [])] as { change?: string; object?: string; name: string; detail: string }[]
  return changes.length ? changes.map((c) => `${c.change ?? ''} ${c.object ?? ''} ${c.name}: ${c.detail}`.trim()).join('\n') : null
}

export function AlembicControls({ database, pending, applied, current, upgradeRefused, canCheck, canUpgrade, canDowngrade, activeJob }: Props) {
  const hydrated = useHydrated()
  const router = useRouter()
  const { show } = useRunResult()
  const [running, startRun] = useTransition()
  // The job this page queued, else the one the server saw running; one that ended is not followed
  // again while the page's new render (which no longer lists it) is on its way.
  const [queuedJob, setQueuedJob] = useState<JobView | null>(null)
  const [ended, setEnded] = useState<ReadonlySet<number>>(new Set())
  const followed = [queuedJob, activeJob].find((j): j is JobView => j !== null && !ended.has(j.id)) ?? null
  const onEnd = useCallback(
    (job: JobView) => {
      setEnded((s) => new Set(s).add(job.id))
      show({ title: job.title, result: jobOutcome(job) })
    },
    [show],
  )
  // Queued, not waited for: the result says which job; AlembicJob follows it to its end.
  const run = (title: string, action: () => Promise<ActionResult<unknown>>) =>
    startRun(async () => {
      const result = await action()
      show({ title, result })
      setDialog(null)
      const job = result.ok ? (result.data as { job?: JobView } | undefined)?.job : undefined
      if (job) setQueuedJob(job)
      router.refresh()
    })
  const [checking, startCheck] = useTransition()
  const [shown, setShown] = useState<CheckShown | null>(null)
  const [dialog, setDialog] = useState<'upgrade' | 'downgrade' | null>(null)
  const targets = [...applied, 'base']
  const [chosen, setDownTo] = useState(targets[0])
  // After a run the page re-reads the revisions: a choice no longer offered falls back to the newest.
  const downTo = targets.includes(chosen) ? chosen : targets[0]
  const [typed, setTyped] = useState('')
  const busy = running || checking || followed !== null

  const check = (title: string, action: () => Promise<ActionResult<unknown>>) =>
    startCheck(async () => {
      setShown(null)
      setShown({ title, result: await action() })
    })

  const text = shown ? details(shown.result) : null
  return (
    <div className="alembic-controls" data-testid="alembic-controls">
      <div className="row">
        {canCheck ? (
          <>
            <button type="button" disabled={!hydrated || busy} onClick={() => check('Dry run (SQL)', () => alembicDryRunAction({ direction: 'upgrade', revision: 'head' }))}>
              Dry run (SQL)
            </button>
            <button type="button" disabled={!hydrated || busy} onClick={() => check('Rehearsal', () => alembicRehearseAction({ revision: 'head' }))}>
              Rehearse on a scratch copy
            </button>
            <button type="button" disabled={!hydrated || busy} onClick={() => check('Drift check', () => alembicDriftAction({}))}>
              Check drift
            </button>
          </>
        ) : null}
        {canUpgrade ? (
          <button type="button" className="primary" disabled={!hydrated || busy || !!upgradeRefused || pending.length === 0} onClick={() => setDialog('upgrade')}>
            Upgrade to head…
          </button>
        ) : null}
        {canDowngrade && current.length === 1 ? (
          <>
            <label>
              Downgrade to
              <select className="mono" value={downTo} onChange={(e) => setDownTo(e.target.value)}>
                {targets.map((t) => (
                  <option key={t} value={t}>
                    {t}
                  </option>
                ))}
              </select>
            </label>
            <button
              type="button"
              disabled={!hydrated || busy}
              onClick={() => {
                setTyped('')
                setDialog('downgrade')
              }}
            >
              Downgrade…
            </button>
          </>
        ) : null}
      </div>
      {upgradeRefused && canUpgrade ? <p className="muted apply-reason">{upgradeRefused}</p> : null}
      {followed ? <AlembicJob key={followed.id} job={followed} onEnd={onEnd} /> : null}
      {checking ? <p className="muted">Running Alembic…</p> : null}
      {shown ? (
        <div className={`banner ${shown.result.ok ? 'ok' : 'bad'}`} role={shown.result.ok ? 'status' : 'alert'} data-testid="alembic-check-result">
          <strong>{shown.title}:</strong> {shown.result.message}
          {text ? (
            <pre className="run-error" data-testid="alembic-check-output">
              {text}
            </pre>
          ) : null}
        </div>
      ) : null}

      <ConfirmDialog open={dialog === 'upgrade'} onClose={() => setDialog(null)} busy={running} title="Alembic upgrade to head" testId="alembic-upgrade-dialog">
        <p>
          From <code>{database}</code>, Alembic runs {pending.length === 1 ? 'this revision' : `these ${pending.length} revisions`}:
        </p>
        <ol className="plan">
          {pending.map((id) => (
            <li key={id} className="mono">
              {id}
            </li>
          ))}
        </ol>
        <p className="muted">
          It holds the run lock (no other run, dashboard or CLI, starts meanwhile); schema snapshots are taken before and after, Alembic’s output is
          kept in the history, and alembic_version is read back afterwards.
        </p>
        <div className="dialog-buttons">
          <button type="button" onClick={() => setDialog(null)} disabled={running}>
            Cancel
          </button>
          <button type="button" className="primary" disabled={running} onClick={() => run('Alembic upgrade', () => alembicUpgradeAction({ revision: 'head' }))}>
            {running ? 'Queuing…' : 'Upgrade'}
          </button>
        </div>
      </ConfirmDialog>

      <ConfirmDialog open={dialog === 'downgrade'} onClose={() => setDialog(null)} busy={running} title={`Alembic downgrade to ${downTo}`} testId="alembic-downgrade-dialog">
        <p>
          Alembic undoes every revision above <code>{downTo}</code>, from <code>{database}</code>. A downgrade can lose data (dropped columns and
          tables): take a backup first if the data matters.
        </p>
        <label>
          Type the revision to confirm
          <input className="mono" value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" />
        </label>
        <div className="dialog-buttons">
          <button type="button" onClick={() => setDialog(null)} disabled={running}>
            Cancel
          </button>
          <button
            type="button"
            className="primary"
            disabled={running || typed !== downTo}
            onClick={() => run(`Alembic downgrade to ${downTo}`, () => alembicDowngradeAction({ revision: downTo }))}
          >
            {running ? 'Queuing…' : 'Downgrade'}
          </button>
        </div>
      </ConfirmDialog>
    </div>
  )
}
