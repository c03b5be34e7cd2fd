'use client'

import { ActionForm, FieldError } from '@/components/action-form'
import type { RetentionPolicy } from '@/lib/backups/retention'
import { applyRetentionAction } from '../actions'

const RULES = [
  ['keepLast', 'Keep the last'],
  ['keepDaily', 'Daily'],
  ['keepWeekly', 'Weekly'],
  ['keepMonthly', 'Monthly'],
  ['keepWithinDays', 'All younger than (days)'],
] as const

/**
 * The saved retention policy, per kind: preview what it deletes (the default), save it for the
 * scheduled backups, or save and apply it now (each deletion audited).
 */
export function RetentionForm({ saved }: { saved: (RetentionPolicy & { enabled: boolean }) | null }) {
  return (
    <ActionForm action={applyRetentionAction} submitLabel="Go" className="stack" testId="retention">
      <div className="row">
        {RULES.map(([name, label]) => (
          <label key={name}>
            {label}
            <input name={name} type="number" min={0} max={10000} inputMode="numeric" style={{ width: 90 }} defaultValue={saved?.[name] ?? ''} />
            <FieldError name={name} />
          </label>
        ))}
      </div>
      <label className="checkbox">
        <input type="checkbox" name="enabled" defaultChecked={saved?.enabled ?? true} />
        Apply after each successful scheduled backup
      </label>
      <fieldset className="row">
        <legend>What to do</legend>
        <label className="checkbox">
          <input type="radio" name="intent" value="preview" defaultChecked />
          Preview what it deletes
        </label>
        <label className="checkbox">
          <input type="radio" name="intent" value="save" />
          Save the policy
        </label>
        <label className="checkbox">
          <input type="radio" name="intent" value="apply" />
          Save and apply now
        </label>
      </fieldset>
      <FieldError name="_" />
    </ActionForm>
  )
}
