'use client'

import { signIn } from 'next-auth/react'
import { useState, useTransition } from 'react'
import { readSignInError } from '@/lib/auth/sign-in-steps'

/**
 * Two steps: e-mail and password, then, for an account with two-factor sign-in, a code from the
 * authenticator app (or a recovery code) sent with the challenge the first step returned. No session
 * exists between the two.
 */
export function LoginForm({ callbackUrl }: { callbackUrl: string }) {
  const [error, setError] = useState<string | null>(null)
  const [challenge, setChallenge] = useState<string | null>(null)
  const [pending, startTransition] = useTransition()

  function done(res: Awaited<ReturnType<typeof signIn>>): boolean {
    if (res?.ok && !res.error) {
      // A full navigation so that every server component sees the new session cookie.
      window.location.assign(callbackUrl)
      return true
    }
    return false
  }

  function submitPassword(form: FormData) {
    setError(null)
    startTransition(async () => {
      const res = await signIn('credentials', {
        email: String(form.get('email') ?? ''),
        password: String(form.get('password') ?? ''),
        redirect: false,
      })
      if (done(res)) return
      const answer = readSignInError(res?.error)
      if (answer.kind === 'second_factor') setChallenge(answer.challenge)
      else setError(answer.message)
    })
  }

  function submitCode(form: FormData) {
    setError(null)
    startTransition(async () => {
      const res = await signIn('two-factor', { challenge: challenge ?? '', code: String(form.get('code') ?? ''), redirect: false })
      if (done(res)) return
      const answer = readSignInError(res?.error)
      if (answer.kind === 'restart') setChallenge(null)
      setError(answer.kind === 'second_factor' ? 'Enter the code again.' : answer.message)
    })
  }

  const alert = error ? (
    <div role="alert" className="result bad">
      {error}
    </div>
  ) : null

  if (challenge) {
    return (
      <form className="stack" action={submitCode} aria-label="Two-factor code" key="code">
        <p className="muted">Enter the 6-digit code from your authenticator app, or one of your recovery codes.</p>
        <label>
          Code
          <input name="code" autoComplete="one-time-code" inputMode="text" required autoFocus maxLength={64} spellCheck={false} />
        </label>
        <button className="primary" type="submit" disabled={pending}>
          {pending ? 'Checking…' : 'Verify'}
        </button>
        <button
          type="button"
          onClick={() => {
            setChallenge(null)
            setError(null)
          }}
        >
          Use another account
        </button>
        {alert}
      </form>
    )
  }

  return (
    <form className="stack" action={submitPassword} aria-label="Sign in" key="password">
      <label>
        E-mail
        <input name="email" type="email" autoComplete="username" required autoFocus />
      </label>
      <label>
        Password
        <input name="password" type="password" autoComplete="current-password" required />
      </label>
      <button className="primary" type="submit" disabled={pending}>
        {pending ? 'Signing in…' : 'Sign in'}
      </button>
      {alert}
    </form>
  )
}
