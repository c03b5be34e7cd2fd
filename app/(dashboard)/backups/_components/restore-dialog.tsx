'use client'

import { useState } from 'react'
import { ActionForm, FieldError } from '@/components/action-form'
import { useHydrated } from '@/components/use-hydrated'
import { ConfirmDialog } from '@/components/confirm-dialog'
import { restoreBackupAction } from '../actions'

interface Props {
  backup: { id: string; file: string; kind: string; format: string; whole: boolean }
  /** The target's database name. */
  database: string
}

type Mode = 'new' | 'target' | 'table'

/**
 * Restore choices for one backup: into a new database (the default), over the target after a safety
 * backup, or one table. The name of the database written to is typed to confirm (the server checks it again).
 */
export function RestoreDialog({ backup, database }: Props) {
  const [open, setOpen] = useState(false)
  const [mode, setMode] = useState<Mode>('new')
  const [newName, setNewName] = useState('')
  const [tableIntoNew, setTableIntoNew] = useState(false)
  const hydrated = useHydrated()
  const overTargetAllowed = backup.kind === 'full' && backup.format !== 'plain' && backup.whole
  const tableAllowed = backup.format !== 'plain'
  const dest = mode === 'new' || (mode === 'table' && tableIntoNew) ? newName : database
  return (
    <>
      <button type="button" disabled={!hydrated} onClick={() => setOpen(true)} data-testid="open-restore">
        Restore…
      </button>
      <ConfirmDialog open={open} onClose={() => setOpen(false)} testId="restore-dialog" title={<>Restore <span className="mono">{backup.file}</span></>}>
        <ActionForm action={restoreBackupAction} submitLabel="Restore" danger className="stack" testId="restore-form">
          <input type="hidden" name="id" value={backup.id} />
          <fieldset className="stack">
            <legend>Where to</legend>
            <label className="checkbox">
              <input type="radio" name="mode" value="new" checked={mode === 'new'} onChange={() => setMode('new')} />
              Into a new database (the target is not touched)
            </label>
            <label className="checkbox">
              <input type="radio" name="mode" value="target" checked={mode === 'target'} disabled={!overTargetAllowed} onChange={() => setMode('target')} />
              Over {database}, after a safety backup, in one transaction
            </label>
            <label className="checkbox">
              <input type="radio" name="mode" value="table" checked={mode === 'table'} disabled={!tableAllowed} onChange={() => setMode('table')} />
              One table, with the types and sequences it needs
            </label>
          </fieldset>
          {mode === 'table' ? (
            <>
              <label>
                Table
                <input name="table" placeholder="public.agenda_item" autoComplete="off" spellCheck={false} />
                <FieldError name="table" />
              </label>
              <label>
                Under a new name (optional)
                <input name="as" placeholder="agenda_item_restored" autoComplete="off" spellCheck={false} />
                <FieldError name="as" />
              </label>
              <label className="checkbox">
                <input type="checkbox" checked={tableIntoNew} onChange={(e) => setTableIntoNew(e.target.checked)} />
                Into a new database instead of {database}
              </label>
            </>
          ) : null}
          {mode === 'new' || (mode === 'table' && tableIntoNew) ? (
            <label>
              New database name
              <input name="database" value={newName} onChange={(e) => setNewName(e.target.value)} autoComplete="off" spellCheck={false} />
              <FieldError name="database" />
            </label>
          ) : null}
          {mode === 'target' ? <div className="banner warn">Everything in {database} is replaced by the backup. A full backup of it is taken first and kept.</div> : null}
          <label>
            Type <span className="mono">{dest || 'the database name'}</span> to confirm
            <input name="confirm" className="mono confirm-name" autoComplete="off" spellCheck={false} />
            <FieldError name="confirm" />
          </label>
        </ActionForm>
        <div className="dialog-buttons">
          <button type="button" onClick={() => setOpen(false)}>
            Close
          </button>
        </div>
      </ConfirmDialog>
    </>
  )
}
