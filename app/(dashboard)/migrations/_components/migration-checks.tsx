'use client'

import { type ReactNode, useState, useTransition } from 'react'
import type { ActionResult } from '@/lib/auth/action-result'
import { parseCheckResult } from '@/lib/migrations/check-report'
import { driftAction, dryRunAction, rehearseAction, replayAction } from '../actions'
import { type CheckKind, DriftReport, DryRunReport, RehearsalReport, ReplayReport } from './check-reports'
import { useHydrated } from '@/components/use-hydrated'

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

/** The banner's class and the report drawn from a check's result. */
function outcomeOf(kind: CheckKind, data: unknown): { className: 'ok' | 'warn' | 'bad'; report: ReactNode } {
  switch (kind) {
    case 'dry_run': {
      const r = parseCheckResult(kind, data)
      return { className: r.ok ? 'ok' : 'bad', report: <DryRunReport migrations={r.migrations} /> }
    }
    case 'rehearsal': {
      const r = parseCheckResult(kind, data)
      return { className: r.ok ? 'ok' : 'bad', report: <RehearsalReport steps={r.steps} /> }
    }
    case 'drift': {
      const r = parseCheckResult(kind, data)
      return { className: !r.comparable ? 'bad' : r.changes.length ? 'warn' : 'ok', report: <DriftReport replay={r.replay} changes={r.changes} /> }
    }
    case 'replay': {
      const r = parseCheckResult(kind, data)
      return { className: r.ok ? 'ok' : 'bad', report: <ReplayReport applied={r.applied} failed={r.failed} /> }
    }
  }
}

function CheckOutcome({ kind, result }: { kind: CheckKind; result: ActionResult<unknown> }) {
  let failure = result.ok ? null : result.message
  let outcome: ReturnType<typeof outcomeOf> | null = null
  if (result.ok && result.data) {
    try {
      outcome = outcomeOf(kind, result.data)
    } catch (e) {
      failure = e instanceof Error ? e.message : String(e)
    }
  }
  if (failure !== null) {
    return (
      <div className="banner bad" role="alert">
        <pre className="run-error">{failure}</pre>
      </div>
    )
  }
  return (
    <>
      <div className={`banner ${outcome ? outcome.className : 'ok'}`} role="status">
        {result.ok ? result.message : null}
      </div>
      {outcome?.report}
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
