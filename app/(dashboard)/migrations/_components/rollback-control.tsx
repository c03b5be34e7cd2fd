'use client'

import { useState } from 'react'
import { rollbackMigrationAction } from '../actions'
import { ConfirmDialog } from '@/components/confirm-dialog'
import { useConfirmedRun } from './run-result'
import { useHydrated } from '@/components/use-hydrated'

interface Props {
  name: string
  database: string
  transactional: boolean
}

/** Rolls back the last applied migration after its exact name is typed (the server checks it again). */
export function RollbackControl({ name, database, transactional }: Props) {
  const [open, setOpen] = useState(false)
  const [typed, setTyped] = useState('')
  const { pending, run } = useConfirmedRun()
  const hydrated = useHydrated()

  function confirm() {
    run(`Roll back ${name}`, () => rollbackMigrationAction({ name: typed }), () => setOpen(false))
  }

  return (
    <>
      <button
        type="button"
        disabled={!hydrated}
        className="danger"
        onClick={() => {
          setTyped('')
          setOpen(true)
        }}
      >
        Roll back…
      </button>
      <ConfirmDialog
        open={open}
        onClose={() => setOpen(false)}
        busy={pending}
        testId="rollback-dialog"
        title={
          <>
            Roll back <span className="mono">{name}</span>
          </>
        }
      >
        <p>
          Runs its down migration on <strong>{database}</strong>
          {transactional ? ' in a transaction' : ''}, with lock and statement timeouts. A schema snapshot is taken before
          and after. Whatever the migration added is removed, with its data.
        </p>
        {transactional ? null : (
          <div className="banner warn">It runs outside a transaction: a failure can leave it half rolled back.</div>
        )}
        <form
          onSubmit={(e) => {
            e.preventDefault()
            if (typed === name) confirm()
          }}
        >
          <label>
            Type the migration&apos;s name to confirm
            <input
              className="mono confirm-name"
              value={typed}
              onChange={(e) => setTyped(e.target.value)}
              autoComplete="off"
              spellCheck={false}
              disabled={pending}
            />
          </label>
          <div className="dialog-buttons">
            <button type="button" onClick={() => setOpen(false)} disabled={pending}>
              Cancel
            </button>
            <button type="submit" className="danger" disabled={typed !== name || pending}>
              {pending ? 'Rolling back…' : 'Roll back'}
            </button>
          </div>
        </form>
      </ConfirmDialog>
    </>
  )
}
