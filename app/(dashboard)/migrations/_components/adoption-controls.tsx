'use client'

import { useState } from 'react'
import type { ManagementMode } from '@/lib/migrations/management'
import { baselineAction, decideManagementAction } from '../adoption-actions'
import { ConfirmDialog } from '@/components/confirm-dialog'
import { useConfirmedRun } from './run-result'
import { useHydrated } from '@/components/use-hydrated'

interface Props {
  database: string
  mode: ManagementMode
  /** The chain's migrations, oldest first: a baseline marks them applied up to the chosen one. */
  names: string[]
  /** An admin's standing decision ('ours' or 'elsewhere'), which can be withdrawn. */
  decided: 'ours' | 'elsewhere' | null
}

const INTRO: Record<ManagementMode, string> = {
  other_tool:
    'Another tool migrates this database. To manage it with the DoR chain instead, baseline the chain (its schema is already here) or apply the chain from its first migration.',
  elsewhere: 'An admin recorded that another tool or team migrates this database.',
  none: 'No migration history at all. If the schema was built another way, baseline the chain; if another tool or team migrates this database, record it.',
  ours: 'The chain is adopted here but nothing is applied yet: apply it, or baseline it if the schema is already here.',
}

/** Admins adopt an existing database: baseline the DoR chain, or record who migrates it. */
export function AdoptionControls({ database, mode, names, decided }: Props) {
  const [to, setTo] = useState(names.at(-1) ?? '')
  const [accept, setAccept] = useState(false)
  const [confirming, setConfirming] = useState(false)
  const [note, setNote] = useState('')
  const { pending, run } = useConfirmedRun()
  const hydrated = useHydrated()
  const upTo = names.slice(0, names.indexOf(to) + 1)

  const decide = (decision: 'ours' | 'elsewhere' | 'auto', title: string) =>
    run(title, () => decideManagementAction({ decision, note }), () => setNote(''))

  return (
    <div className="card adoption-controls" data-testid="adoption-controls">
      <h2>Adopt this database</h2>
      <p className="muted">{INTRO[mode]}</p>
      {names.length ? (
        <div className="row">
          <label>
            Baseline up to
            <select value={to} onChange={(e) => setTo(e.target.value)} className="mono">
              {names.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </label>
          <label className="checkbox">
            <input type="checkbox" checked={accept} onChange={(e) => setAccept(e.target.checked)} />
            Accept differences
          </label>
          <button type="button" disabled={!hydrated || pending || !to} onClick={() => setConfirming(true)}>
            Baseline…
          </button>
        </div>
      ) : null}
      <div className="row">
        {mode === 'other_tool' || mode === 'none' ? (
          <button type="button" disabled={!hydrated || pending} onClick={() => decide('ours', 'Apply our chain here')}>
            Apply our chain here
          </button>
        ) : null}
        {mode === 'other_tool' || mode === 'none' ? (
          <>
            <label>
              Note
              <input value={note} onChange={(e) => setNote(e.target.value)} maxLength={500} placeholder="who migrates it" />
            </label>
            <button type="button" disabled={!hydrated || pending} onClick={() => decide('elsewhere', 'Managed elsewhere')}>
              Record: managed elsewhere
            </button>
          </>
        ) : null}
        {decided ? (
          <button type="button" disabled={!hydrated || pending} onClick={() => decide('auto', 'Withdraw the decision')}>
            Withdraw the decision ({decided === 'ours' ? 'our chain' : 'managed elsewhere'})
          </button>
        ) : null}
      </div>

      <ConfirmDialog open={confirming} onClose={() => setConfirming(false)} busy={pending} title={`Baseline up to ${to}`} testId="baseline-dialog">
        <p>
          {upTo.length === 1 ? 'This migration is' : `These ${upTo.length} migrations are`} marked applied on <strong>{database}</strong>{' '}
          without running:
        </p>
        <ol className="plan">
          {upTo.map((n) => (
            <li key={n} className="mono">
              {n}
            </li>
          ))}
        </ol>
        <p className="muted">
          First the chain up to it is replayed on a scratch database and compared with the live schema.{' '}
          {accept
            ? 'Differences are accepted and kept with the baseline in the history.'
            : 'If they differ, nothing is recorded and the differences are listed.'}
        </p>
        <div className="dialog-buttons">
          <button type="button" onClick={() => setConfirming(false)} disabled={pending}>
            Cancel
          </button>
          <button
            type="button"
            className="primary"
            disabled={pending}
            onClick={() => run(`Baseline up to ${to}`, () => baselineAction({ to, acceptDifferences: accept }), () => setConfirming(false))}
          >
            {pending ? 'Comparing…' : 'Baseline'}
          </button>
        </div>
      </ConfirmDialog>
    </div>
  )
}
