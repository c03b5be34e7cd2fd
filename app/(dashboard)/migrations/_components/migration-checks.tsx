'use client'

import { useState, useTransition } from 'react'
import type { ActionResult } from '@/lib/auth/action-result'
import { driftAction, dryRunAction, rehearseAction, replayAction } from '../actions'
import { type CheckKind, DriftReport, DryRunReport, RehearsalReport, ReplayReport } from './check-reports'
import { useHydrated } from '@/components/use-hydrated'

type DryRunData = NonNullable<Extract<Awaited<ReturnType<typeof dryRunAction>>, { ok: true }>['data']>
type RehearsalData = NonNullable<Extract<Awaited<ReturnType<typeof rehearseAction>>, { ok: true }>['data']>
type DriftData = NonNullable<Extract<Awaited<ReturnType<typeof driftAction>>, { ok: true }>['data']>
type ReplayData = NonNullable<Extract<Awaited<ReturnType<typeof replayAction>>, { ok: true }>['data']>

interface Check {
  kind: CheckKind
  title: string
  button: string
  running: string
  description: string
  run: () => Promise<ActionResult<unknown>>
}

const CHECKS: Check[] = [
  {
    kind: 'dry_run',
    title: 'Dry run',
    button: 'Dry run pending',
    running: 'Running the pending migrations in a transaction that will be rolled back…',
    description:
      'Runs every pending migration inside one transaction that is always rolled back, and shows the SQL each executed. Non-transactional migrations are skipped. Holds the run lock while it runs.',
    run: () => dryRunAction({ mode: 'all' }),
  },
  {
    kind: 'rehearsal',
    title: 'Rollback test',
    button: 'Test rollbacks',
    running: 'Copying the schema to a scratch database and running up, down, up…',
    description:
      'The runbook’s “test migration rollbacks”: on a scratch copy of the schema, each pending migration goes up, down and up again; the schema must come back exactly.',
    run: () => rehearseAction({}),
  },
  {
    kind: 'drift',
    title: 'Drift',
    button: 'Check drift',
    running: 'Replaying the applied migrations on a scratch database and comparing…',
    description:
      'Replays the applied migrations on a scratch database and compares the result with the live schema: what differs was changed by hand.',
    run: () => driftAction({}),
  },
  {
    kind: 'replay',
    title: 'Replay from empty',
    button: 'Replay from empty',
    running: 'Applying the whole chain to an empty scratch database…',
    description:
      'Applies the whole chain to an empty scratch database, as a new environment would, and reports the first migration that fails.',
    run: () => replayAction({}),
  },
]

function outcomeClass(kind: CheckKind, data: unknown): 'ok' | 'warn' | 'bad' {
  if (kind === 'drift') {
    const d = data as DriftData
    return !d.comparable ? 'bad' : d.changes.length ? 'warn' : 'ok'
  }
  return (data as { ok: boolean }).ok ? 'ok' : 'bad'
}

function CheckOutcome({ kind, result }: { kind: CheckKind; result: ActionResult<unknown> }) {
  if (!result.ok) {
    return (
      <div className="banner bad" role="alert">
        <pre className="run-error">{result.message}</pre>
      </div>
    )
  }
  const data = result.data
  return (
    <>
      <div className={`banner ${data ? outcomeClass(kind, data) : 'ok'}`} role="status">
        {result.message}
      </div>
      {!data ? null : kind === 'dry_run' ? (
        <DryRunReport migrations={(data as DryRunData).migrations} />
      ) : kind === 'rehearsal' ? (
        <RehearsalReport steps={(data as RehearsalData).steps} />
      ) : kind === 'drift' ? (
        <DriftReport replay={(data as DriftData).replay} changes={(data as DriftData).changes} />
      ) : (
        <ReplayReport applied={(data as ReplayData).applied} failed={(data as ReplayData).failed} />
      )}
    </>
  )
}

interface Props {
  /** Operators and admins run the checks; everyone sees what they are. */
  canRun: boolean
  /** The pending migrations, or null when the status could not be read. */
  pending: string[] | null
}

/** The four checks that change nothing in the target; their results appear under their button. */
export function MigrationChecks({ canRun, pending }: Props) {
  const [results, setResults] = useState<Partial<Record<CheckKind, ActionResult<unknown>>>>({})
  const [running, setRunning] = useState<CheckKind | null>(null)
  const [, startTransition] = useTransition()
  const hydrated = useHydrated()

  function start(check: Check) {
    setRunning(check.kind)
    setResults(({ [check.kind]: _previous, ...rest }) => rest)
    startTransition(async () => {
      let result: ActionResult<unknown>
      try {
        result = await check.run()
      } catch {
        result = { ok: false, code: 'internal', message: 'The dashboard did not answer. Reload the page and try again.' }
      }
      setResults((r) => ({ ...r, [check.kind]: result }))
      setRunning(null)
    })
  }

  const nothingPending = pending !== null && pending.length === 0

  return (
    <section className="card migration-checks" aria-labelledby="checks-title" data-testid="migration-checks">
      <h2 id="checks-title">Checks</h2>
      <p className="muted">
        None of these changes the managed database. The dry run works in a transaction that is rolled back; the
        others work on a scratch database on the same server that is dropped afterwards (the target&apos;s role needs
        CREATEDB). Each run is recorded in the history below.
        {canRun ? null : ' Operators and admins can run them.'}
      </p>
      <div className="checks">
        {CHECKS.map((check) => {
          const result = results[check.kind]
          const isRunning = running === check.kind
          const needsPending = check.kind === 'dry_run' || check.kind === 'rehearsal'
          return (
            <div className="check" key={check.kind} data-check={check.kind} aria-busy={isRunning}>
              <div className="check-head">
                <div>
                  <h3>{check.title}</h3>
                  <p className="muted small">
                    {check.description}
                    {needsPending && nothingPending ? ' Nothing is pending now.' : ''}
                  </p>
                </div>
                {canRun ? (
                  <button type="button" disabled={!hydrated || running !== null} onClick={() => start(check)}>
                    {isRunning ? 'Running…' : check.button}
                  </button>
                ) : null}
              </div>
              {isRunning ? (
                <p className="muted small check-running" role="status">
                  <span className="spinner" aria-hidden="true" /> {check.running} This can take several seconds.
                </p>
              ) : null}
              {result ? (
                <div className="check-result" data-testid={`check-result-${check.kind}`}>
                  <CheckOutcome kind={check.kind} result={result} />
                  <button
                    type="button"
                    className="link"
                    onClick={() => setResults(({ [check.kind]: _dismissed, ...rest }) => rest)}
                  >
                    Dismiss
                  </button>
                </div>
              ) : null}
            </div>
          )
        })}
      </div>
    </section>
  )
}
