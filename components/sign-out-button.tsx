'use client'

import { signOut } from 'next-auth/react'
import { useHydrated } from './use-hydrated'

/** Disabled until hydrated: a click on the server's HTML would otherwise do nothing, silently. */
export function SignOutButton() {
  const hydrated = useHydrated()
  return (
    <button type="button" disabled={!hydrated} onClick={() => signOut({ callbackUrl: '/login' })}>
      Sign out
    </button>
  )
}
