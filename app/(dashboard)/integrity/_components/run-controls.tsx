'use client'

import { cancelRunAction, runChecksAction } from '../run-actions'
import { ActionButton } from '@/components/action-button'

interface Props {
  canRun: boolean
  /** The queued or running run, if any. */
  active: { id: number; cancelRequested: boolean } | null
}

/** "Run all checks", and Cancel while a run is going on. */
export function RunControls({ canRun, active }: Props) {
  return (
    <div className="row integrity-run-controls">
      {canRun ? (
        <ActionButton
          action={() => runChecksAction({})}
          label="Run all checks"
          primary
          disabled={active !== null}
          dismissKey={active?.id ?? null}
          testId="run-checks"
        />
      ) : null}
      {canRun && active ? (
        <ActionButton
          action={() => cancelRunAction({ runId: active.id })}
          label={active.cancelRequested ? 'Cancelling…' : 'Cancel'}
          danger
          disabled={active.cancelRequested}
          testId="cancel-run"
        />
      ) : null}
    </div>
  )
}
