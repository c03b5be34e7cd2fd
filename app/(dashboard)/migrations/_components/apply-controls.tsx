'use client'

import { useState } from 'react'
import { applyMigrationsAction } from '../actions'
import { ConfirmDialog } from '@/components/confirm-dialog'
import type { ApplyChoice, ApplyChoices } from './migrations-data'
import { useConfirmedRun } from './run-result'
import { useHydrated } from '@/components/use-hydrated'

export interface PlanInfo {
  transactional: boolean
  irreversibleReason: string | null
}

interface Props {
  database: string
  choices: ApplyChoices
  /** For each pending migration: what the confirmation must warn about. */
  info: Record<string, PlanInfo>
  /** Why apply is blocked (edited migrations nobody acknowledged), or null. */
  blocked: string | null
  /** Whether "Take a backup first" starts checked: yes for a real database, no for the demo. */
  backupDefault: boolean
}

interface Request {
  mode: 'next' | 'all' | 'to'
  to?: string
  title: string
  plan: string[]
}

function plural(n: number, word: string) {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

export function ApplyControls({ database, choices, info, blocked, backupDefault }: Props) {
  const [request, setRequest] = useState<Request | null>(null)
  const [upTo, setUpTo] = useState<string>('')
  const [backup, setBackup] = useState(backupDefault)
  const { pending, run } = useConfirmedRun()
  const hydrated = useHydrated()

  const selected = choices.upTo.find((u) => u.name === upTo) ?? choices.upTo[0]

  function open(mode: Request['mode'], title: string, choice: ApplyChoice, to?: string) {
    if (!('plan' in choice)) return
    setBackup(backupDefault)
    setRequest({ mode, to, title, plan: choice.plan })
  }

  function confirm() {
    if (!request) return
    const { mode, to, title } = request
    run(title, () => applyMigrationsAction({ mode, to, backup }), () => setRequest(null))
  }

  const reason = blocked ?? ('refused' in choices.next ? choices.next.refused : null)
  const nonTransactional = request ? request.plan.filter((n) => info[n] && !info[n].transactional) : []
  const irreversible = request ? request.plan.filter((n) => info[n]?.irreversibleReason) : []

  return (
    <div className="card apply-controls" data-testid="apply-controls">
      <h2>Apply migrations</h2>
      <div className="row">
        <button
          type="button"
          className="primary"
          disabled={!hydrated || !!blocked || !('plan' in choices.next)}
          onClick={() => open('next', 'Apply next', choices.next)}
        >
          Apply next
        </button>
        <button
          type="button"
          disabled={!hydrated || !!blocked || !('plan' in choices.all)}
          onClick={() => open('all', 'Apply all pending', choices.all)}
        >
          Apply all pending
        </button>
        {choices.upTo.length > 0 ? (
          <>
            <label>
              Up to migration
              <select value={selected?.name ?? ''} onChange={(e) => setUpTo(e.target.value)} className="mono">
                {choices.upTo.map((u) => (
                  <option key={u.name} value={u.name} disabled={!('plan' in u.choice)}>
                    {u.name}
                  </option>
                ))}
              </select>
            </label>
            <button
              type="button"
              disabled={!hydrated || !!blocked || !selected || !('plan' in selected.choice)}
              onClick={() => selected && open('to', `Apply up to ${selected.name}`, selected.choice, selected.name)}
            >
              Apply up to…
            </button>
          </>
        ) : null}
      </div>
      {reason ? <p className="muted apply-reason">{reason}</p> : null}

      <ConfirmDialog
        open={request !== null}
        onClose={() => setRequest(null)}
        busy={pending}
        title={request?.title ?? ''}
        testId="apply-dialog"
      >
        {request ? (
          <>
            <p>
              {request.plan.length === 1 ? 'This migration runs' : `These ${request.plan.length} migrations run`} on{' '}
              <strong>{database}</strong>, in this order:
            </p>
            <ol className="plan" data-testid="apply-plan">
              {request.plan.map((name) => (
                <li key={name}>
                  <span className="mono">{name}</span>
                  {info[name] && !info[name].transactional ? <span className="badge warn">non-transactional</span> : null}
                  {info[name]?.irreversibleReason ? <span className="badge bad">no rollback</span> : null}
                </li>
              ))}
            </ol>
            <p className="muted">
              {request.plan.length === 1
                ? 'It runs in a transaction (unless marked non-transactional), with lock and statement timeouts.'
                : 'Each runs in its own transaction (unless marked non-transactional), with lock and statement timeouts; the run stops at the first failure and the ones before it stay applied.'}{' '}
              Schema snapshots are taken before and after.
            </p>
            {nonTransactional.map((name) => (
              <div className="banner warn" key={`tx-${name}`}>
                <span className="mono">{name}</span> runs outside a transaction: a failure can leave it half-applied.
              </div>
            ))}
            {irreversible.map((name) => (
              <div className="banner warn" key={`down-${name}`}>
                <span className="mono">{name}</span> cannot be rolled back ({info[name].irreversibleReason}): undoing it
                means restoring a backup.
              </div>
            ))}
            <label className="checkbox">
              <input type="checkbox" checked={backup} onChange={(e) => setBackup(e.target.checked)} disabled={pending} />
              Take a backup first
            </label>
            <p className="muted small">
              A pg_dump of the whole database into the dashboard&apos;s data directory before the first migration runs; if
              the backup fails, nothing runs.
              {backupDefault ? '' : ' Off by default for the embedded demo.'}
            </p>
            <div className="dialog-buttons">
              <button type="button" onClick={() => setRequest(null)} disabled={pending}>
                Cancel
              </button>
              <button type="button" className="primary" onClick={confirm} disabled={pending}>
                {pending ? 'Applying…' : `Apply ${plural(request.plan.length, 'migration')}`}
              </button>
            </div>
          </>
        ) : null}
      </ConfirmDialog>
    </div>
  )
}
