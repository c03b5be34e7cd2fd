'use client'

import { useState } from 'react'
import { acknowledgeEditAction } from '../actions'
import { ConfirmDialog } from '@/components/confirm-dialog'
import { useConfirmedRun } from './run-result'
import { useHydrated } from '@/components/use-hydrated'

interface Props {
  name: string
  checksum: string
  appliedChecksum: string | null
}

/** Records that an applied migration's source changed on purpose, which lifts the block on apply. */
export function AcknowledgeEdit({ name, checksum, appliedChecksum }: Props) {
  const [open, setOpen] = useState(false)
  const [note, setNote] = useState('')
  const { pending, run } = useConfirmedRun()
  const hydrated = useHydrated()

  function confirm() {
    run(`Acknowledge the edit of ${name}`, () => acknowledgeEditAction({ name, note }), () => setOpen(false))
  }

  return (
    <>
      <button
        type="button"
        disabled={!hydrated}
        onClick={() => {
          setNote('')
          setOpen(true)
        }}
      >
        Acknowledge edit
      </button>
      <ConfirmDialog
        open={open}
        onClose={() => setOpen(false)}
        busy={pending}
        testId="acknowledge-dialog"
        title={
          <>
            Acknowledge the edit of <span className="mono">{name}</span>
          </>
        }
      >
        <p>
          Its source changed after it was applied
          {appliedChecksum ? (
            <>
              {' '}
              (applied <code title={appliedChecksum}>{appliedChecksum.slice(0, 12)}</code>, now{' '}
              <code title={checksum}>{checksum.slice(0, 12)}</code>)
            </>
          ) : null}
          . Acknowledging records that the change is intended and does not alter the schema (a comment, a fix for
          fresh databases); it does not run anything. Apply is no longer blocked by this version of the file.
        </p>
        <form
          onSubmit={(e) => {
            e.preventDefault()
            confirm()
          }}
        >
          <label>
            Note (optional)
            <input value={note} onChange={(e) => setNote(e.target.value)} maxLength={500} disabled={pending} />
          </label>
          <div className="dialog-buttons">
            <button type="button" onClick={() => setOpen(false)} disabled={pending}>
              Cancel
            </button>
            <button type="submit" className="primary" disabled={pending}>
              {pending ? '…' : 'Acknowledge'}
            </button>
          </div>
        </form>
      </ConfirmDialog>
    </>
  )
}
