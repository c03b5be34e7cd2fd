'use client'

import { ActionForm, FieldError } from '@/components/action-form'
import { applyRetentionAction } from '../actions'

const RULES = [
  ['keepLast', 'Keep the last'],
  ['keepDaily', 'Daily'],
  ['keepWeekly', 'Weekly'],
  ['keepMonthly', 'Monthly'],
  ['keepWithinDays', 'All younger than (days)'],
] as const

/** A retention policy applied now, kind by kind: preview first, then delete (each deletion audited). */
export function RetentionForm() {
  return (
    <ActionForm action={applyRetentionAction} submitLabel="Apply" className="row" testId="retention">
      {RULES.map(([name, label]) => (
        <label key={name}>
          {label}
          <input name={name} type="number" min={0} max={10000} inputMode="numeric" style={{ width: 90 }} />
          <FieldError name={name} />
        </label>
      ))}
      <label className="checkbox">
        <input type="checkbox" name="dryRun" defaultChecked />
        Preview only
      </label>
      <FieldError name="_" />
    </ActionForm>
  )
}
