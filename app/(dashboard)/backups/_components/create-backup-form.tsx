'use client'

import { ActionForm, FieldError } from '@/components/action-form'
import { createBackupAction } from '../actions'

/** Kind, format and an optional scope; the backup then runs in the background (one per database at a time: a second is refused). */
export function CreateBackupForm() {
  return (
    <ActionForm action={createBackupAction} submitLabel="Create backup" className="row" testId="create-backup">
      <label>
        Kind
        <select name="kind" defaultValue="full">
          <option value="full">full</option>
          <option value="schema">schema only</option>
          <option value="data">data only</option>
        </select>
        <FieldError name="kind" />
      </label>
      <label>
        Format
        <select name="format" defaultValue="custom">
          <option value="custom">custom (pg_dump -Fc)</option>
          <option value="directory">directory, parallel (-Fd)</option>
          <option value="plain">plain SQL</option>
        </select>
        <FieldError name="format" />
      </label>
      <label>
        Only schemas (optional)
        <input name="schemas" placeholder="public, audit" autoComplete="off" />
        <FieldError name="schemas" />
      </label>
      <label>
        Only tables (optional)
        <input name="tables" placeholder="public.meeting, public.agenda_item" autoComplete="off" />
        <FieldError name="tables" />
      </label>
    </ActionForm>
  )
}
