'use client'

import { useRouter } from 'next/navigation'
import { type FormEvent, useState, useTransition } from 'react'
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

/**
 * The first code from the app. Not an ActionForm: that refreshes the page on success, which would
 * replace this panel (and the recovery codes it is about to show) with the enrolled one.
 */
function ConfirmForm({ onConfirmed }: { onConfirmed: (codes: string[]) => void }) {
  const [result, setResult] = useState<ActionResult<{ recoveryCodes: string[] }> | null>(null)
  const [pending, startTransition] = useTransition()

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const form = new FormData(event.currentTarget)
    startTransition(async () => {
      const r = await confirmEnrolmentAction(form)
      if (r.ok && r.data) onConfirmed(r.data.recoveryCodes)
      else setResult(r)
    })
  }

  const error = result && !result.ok ? result.message : null
  return (
    <form className="row" onSubmit={submit} data-testid="confirm-enrolment">
      <label>
        Code from the app
        <input
          name="token"
          autoComplete="one-time-code"
          inputMode="numeric"
          required
          maxLength={64}
          spellCheck={false}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? 'confirm-enrolment-error' : undefined}
        />
      </label>
      <button type="submit" disabled={pending}>
        {pending ? '…' : 'Turn on'}
      </button>
      {error ? (
        <span role="status" className="result bad" id="confirm-enrolment-error">
          {error}
        </span>
      ) : null}
    </form>
  )
}
