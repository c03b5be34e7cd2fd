'use client'

import { useRouter } from 'next/navigation'
import { useState, useTransition } from 'react'
import { ActionForm, FieldError } from '@/components/action-form'
import type { ActionResult } from '@/lib/auth/action-result'
import type { Enrolment } from '@/lib/auth/totp'
import { beginEnrolmentAction, confirmEnrolmentAction } from '../actions'
import { RecoveryCodes } from './recovery-codes'

/** Enrolment: a new secret as a QR code (and as text), then a first code from the app confirms it. */
export function EnrolPanel() {
  const router = useRouter()
  const [enrolment, setEnrolment] = useState<Enrolment | null>(null)
  const [codes, setCodes] = useState<string[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [pending, startTransition] = useTransition()

  function begin() {
    setError(null)
    startTransition(async () => {
      const r: ActionResult<Enrolment> = await beginEnrolmentAction({})
      if (r.ok && r.data) setEnrolment(r.data)
      else setError(r.message)
    })
  }

  // Confirmed: the codes stay on screen until the user says they kept them.
  if (codes) {
    return (
      <>
        <RecoveryCodes codes={codes} />
        <button type="button" className="primary" onClick={() => router.refresh()}>
          I have kept them
        </button>
      </>
    )
  }

  if (!enrolment) {
    return (
      <>
        <button type="button" className="primary" onClick={begin} disabled={pending}>
          {pending ? '…' : 'Set up two-factor sign-in'}
        </button>
        {error ? (
          <div role="alert" className="result bad">
            {error}
          </div>
        ) : null}
      </>
    )
  }

  return (
    <div className="stack" data-testid="enrolment">
      <p>Scan this code with your authenticator app, or type the key into it. Then enter the 6-digit code the app shows.</p>
      {/* A data: URL, allowed by the page's CSP (img-src data:). */}
      {/* eslint-disable-next-line @next/next/no-img-element */}
      <img src={enrolment.qrDataUrl} width={240} height={240} alt="QR code of the two-factor key, for the authenticator app" data-testid="totp-qr" />
      <p>
        Key: <code data-testid="totp-secret">{enrolment.secret.replace(/(.{4})/g, '$1 ').trim()}</code>
      </p>
      <ConfirmForm onConfirmed={setCodes} />
    </div>
  )
}

function ConfirmForm({ onConfirmed }: { onConfirmed: (codes: string[]) => void }) {
  return (
    <ActionForm<{ recoveryCodes: string[] }>
      action={async (form) => {
        const r = await confirmEnrolmentAction(form)
        if (r.ok && r.data) onConfirmed(r.data.recoveryCodes)
        return r
      }}
      submitLabel="Turn on"
      className="row"
      testId="confirm-enrolment"
    >
      <label>
        Code from the app
        <input name="token" autoComplete="one-time-code" inputMode="numeric" required maxLength={64} spellCheck={false} />
        <FieldError name="token" />
      </label>
    </ActionForm>
  )
}
