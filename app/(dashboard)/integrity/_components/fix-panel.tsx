'use client'

import { useRouter } from 'next/navigation'
import { useId, useState, useTransition } from 'react'
import type { ActionResult } from '@/lib/auth/action-result'
import { formatCount } from '@/lib/format/units'
import { fixOrphansAction } from '../fix-actions'

type Mode = 'delete' | 'set_null'

interface Props {
  relation: { schema: string; table: string; columns: string[]; refSchema: string; refTable: string; refColumns: string[] }
  /** The dry run: orphans now (planFix). */
  count: number
  canSetNull: boolean
  /** Foreign keys whose ON DELETE changes other tables' rows (planFix). */
  cascades: string[]
  hasPrimaryKey: boolean
  backupDir: string
  /** Why no fix can start now (another fix or restore is running), or null. */
  busy: string | null
}

function confirmationText(mode: Mode, count: number): string {
  return `${mode === 'delete' ? 'DELETE' : 'SET NULL'} ${count}`
}

/**
 * The admin's fix for one relation's orphans: choose delete or set NULL (when the columns allow
 * it), read what happens, type the confirmation text exactly. The server recounts and refuses when
 * the count changed since this dry run.
 */
export function FixPanel({ relation, count, canSetNull, cascades, hasPrimaryKey, backupDir, busy }: Props) {
  const router = useRouter()
  const [mode, setMode] = useState<Mode>(canSetNull ? 'set_null' : 'delete')
  const [typed, setTyped] = useState('')
  const [result, setResult] = useState<ActionResult<unknown> | null>(null)
  const [pending, startTransition] = useTransition()
  const confirmId = useId()
  const expected = confirmationText(mode, count)
  const cols = relation.columns.join(', ')

  function submit() {
    startTransition(async () => {
      const r = await fixOrphansAction({ ...relation, mode, confirm: typed })
      setResult(r)
      if (r.ok) {
        setTyped('')
        router.refresh()
      }
    })
  }

  return (
    <div className="fix-panel" data-testid="fix-panel">
      {count === 0 ? (
        <p className="muted">No orphans now: nothing to fix.</p>
      ) : busy ? (
        <div className="banner warn" data-testid="fix-busy">
          {busy} This page follows it below.
        </div>
      ) : !hasPrimaryKey ? (
        <div className="banner warn">
          {relation.schema}.{relation.table} has no primary key: its rows cannot be saved and put back reliably, so the
          dashboard does not fix them. Add a primary key first, or fix the rows by hand.
        </div>
      ) : (
        <form
          className="fix-form"
          onSubmit={(e) => {
            e.preventDefault()
            if (typed === expected) submit()
          }}
        >
          <p>
            <strong data-testid="fix-count">{formatCount(count)}</strong> row{count === 1 ? '' : 's'} of{' '}
            <span className="mono">
              {relation.schema}.{relation.table}
            </span>{' '}
            point at no{' '}
            <span className="mono">
              {relation.refSchema}.{relation.refTable}
            </span>{' '}
            row (dry run, counted just now).
          </p>
          <fieldset className="fix-modes">
            <legend>What to do with them</legend>
            <label className="checkbox">
              <input type="radio" name="mode" value="set_null" checked={mode === 'set_null'} disabled={!canSetNull} onChange={() => setMode('set_null')} />
              Set {cols} to NULL (keep the rows)
              {!canSetNull ? <span className="muted"> — not possible: the column{relation.columns.length === 1 ? '' : 's'} do not allow NULL</span> : null}
            </label>
            <label className="checkbox">
              <input type="radio" name="mode" value="delete" checked={mode === 'delete'} onChange={() => setMode('delete')} />
              Delete the rows
            </label>
          </fieldset>
          <ul className="fix-notes">
            <li>
              Every affected row is first saved, whole, to a file in the backup directory (<span className="mono">{backupDir}</span>
              ), before anything changes: one JSON object per row, as it was.
            </li>
            <li>
              The change then runs in the background in batches of 5,000 rows, each in its own transaction, and touches a
              row only if it is still an orphan. You can follow it and cancel it below; a cancel stops between batches.
            </li>
            <li>Restore, below, puts the saved rows back.</li>
            {mode === 'delete' && cascades.length === 0 ? (
              <li>Rows of other tables that reference the deleted rows are not changed here: their own foreign keys apply.</li>
            ) : null}
          </ul>
          {mode === 'delete' && cascades.length > 0 ? (
            <div className="banner warn" data-testid="fix-cascades">
              Deleting these rows also deletes or changes rows of other tables through their foreign keys, and those rows
              are not saved: Restore cannot bring them back.
              <ul>
                {cascades.map((c) => (
                  <li key={c} className="mono">
                    {c}
                  </li>
                ))}
              </ul>
            </div>
          ) : null}
          <label htmlFor={confirmId}>
            Type <code>{expected}</code> to confirm
          </label>
          <div className="row">
            <input
              id={confirmId}
              className="confirm-text"
              value={typed}
              onChange={(e) => setTyped(e.target.value)}
              autoComplete="off"
              spellCheck={false}
              placeholder={expected}
            />
            <button type="submit" className="danger" disabled={pending || typed !== expected}>
              {pending ? '…' : mode === 'delete' ? `Delete ${formatCount(count)} rows` : `Set ${formatCount(count)} references to NULL`}
            </button>
          </div>
        </form>
      )}
      {result ? (
        <div role="status" className={`result ${result.ok ? 'ok' : 'bad'}`} data-testid="fix-result">
          {result.message}
        </div>
      ) : null}
    </div>
  )
}
