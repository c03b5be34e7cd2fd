'use client'

import { signIn } from 'next-auth/react'
import { useState, useTransition } from 'react'

export function LoginForm({ callbackUrl }: { callbackUrl: string }) {
  const [error, setError] = useState<string | null>(null)
  const [pending, startTransition] = useTransition()

  function submit(form: FormData) {
    setError(null)
    startTransition(async () => {
      const res = await signIn('credentials', {
        email: String(form.get('email') ?? ''),
        password: String(form.get('password') ?? ''),
        redirect: false,
      })
      if (res?.ok && !res.error) {
        // A full navigation so that every server component sees the new session cookie.
        window.location.assign(callbackUrl)
        return
      }
      setError(res?.error && res.error !== 'CredentialsSignin' ? res.error : 'Wrong e-mail or password.')
    })
  }

  return (
    <form className="stack" action={submit} aria-label="Sign in">
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
      {error ? (
        <div role="alert" className="result bad">
          {error}
        </div>
      ) : null}
    </form>
  )
}
