'use client'

import { useState } from 'react'
import { ActionForm, FieldError } from '@/components/action-form'
import { disableTwoFactorAction, newRecoveryCodesAction } from '../actions'
import { RecoveryCodes } from './recovery-codes'

function CodeField({ label }: { label: string }) {
  return (
    <label>
      {label}
      <input name="token" autoComplete="one-time-code" required maxLength={64} spellCheck={false} />
      <FieldError name="token" />
    </label>
  )
}

/** New recovery codes, and turning two-factor sign-in off: each asks for a current code. */
export function EnrolledPanel({ mustKeep }: { mustKeep: boolean }) {
  const [codes, setCodes] = useState<string[] | null>(null)
  return (
    <div className="stack">
      {codes ? <RecoveryCodes codes={codes} /> : null}
      <h3>New recovery codes</h3>
      <p className="muted">The old codes stop working.</p>
      <ActionForm<{ recoveryCodes: string[] }>
        action={async (form) => {
          const r = await newRecoveryCodesAction(form)
          setCodes(r.ok && r.data ? r.data.recoveryCodes : null)
          return r
        }}
        submitLabel="Make new recovery codes"
        className="row"
        resetOnSuccess
        testId="new-recovery-codes"
      >
        <CodeField label="Code from the app" />
      </ActionForm>
      <h3>Turn off</h3>
      {mustKeep ? (
        <p className="muted" data-testid="two-factor-kept">
          Admins must use two-factor sign-in: it cannot be turned off while that rule is on.
        </p>
      ) : (
        <ActionForm action={disableTwoFactorAction} submitLabel="Turn off two-factor sign-in" danger className="row" testId="disable-two-factor">
          <CodeField label="Code from the app or a recovery code" />
        </ActionForm>
      )}
    </div>
  )
}
