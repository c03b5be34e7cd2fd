'use client'

import { ActionForm, FieldError } from '@/components/action-form'
import { takeSnapshotAction } from '../actions'

export function TakeSnapshotForm() {
  return (
    <ActionForm action={takeSnapshotAction} submitLabel="Take snapshot" className="row" resetOnSuccess testId="take-snapshot">
      <label>
        Note (optional)
        <input name="note" maxLength={200} placeholder="before the March release" />
        <FieldError name="note" />
      </label>
    </ActionForm>
  )
}
