'use client'

import { cancelFixAction, restoreFixAction } from '../fix-actions'
import { ActionButton } from '@/components/action-button'

interface Props {
  id: number
  kind: 'fix' | 'restore'
  active: boolean
  cancelRequested: boolean
  canRestore: boolean
  /** What restoring does, asked before it starts. */
  restoreQuestion: string
}

/** Cancel while a fix or restore runs; Restore for a fix whose saved rows can be put back. */
export function FixJobControls({ id, kind, active, cancelRequested, canRestore, restoreQuestion }: Props) {
  return (
    <span className="row">
      {active ? (
        <ActionButton
          action={() => cancelFixAction({ fixId: id })}
          label={cancelRequested ? 'Cancelling…' : 'Cancel'}
          danger
          disabled={cancelRequested}
          testId={`cancel-fix-${id}`}
        />
      ) : null}
      {kind === 'fix' && canRestore ? (
        <ActionButton action={() => restoreFixAction({ fixId: id })} label="Restore" confirmText={restoreQuestion} testId={`restore-fix-${id}`} />
      ) : null}
    </span>
  )
}
