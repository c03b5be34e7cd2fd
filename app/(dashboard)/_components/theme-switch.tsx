'use client'

import type { FormEvent } from 'react'
import { THEMES, type Theme } from '@/lib/auth/theme'
import { setThemeAction } from '../actions'

// React ignores what a form's action returns; the action itself (a server reference, which makes
// the form work without JavaScript) is passed on unchanged.
const formAction = setThemeAction as unknown as (form: FormData) => Promise<void>

const LABEL: Record<Theme, string> = { system: 'Auto', light: 'Light', dark: 'Dark' }

/** Shows the choice at once; the server keeps it and renders every later page with it. */
function applyNow(event: FormEvent<HTMLFormElement>) {
  const value = (event.nativeEvent as SubmitEvent).submitter?.getAttribute('value')
  if (!value) return
  if (value === 'system') delete document.documentElement.dataset.theme
  else document.documentElement.dataset.theme = value
}

/**
 * The user's colour theme: the system's, light or dark. A plain form posting to the server action,
 * so it works before (and without) JavaScript too.
 */
export function ThemeSwitch({ theme }: { theme: Theme }) {
  return (
    <form action={formAction} onSubmit={applyNow} className="theme-switch" aria-label="Colour theme" data-testid="theme-switch">
      {THEMES.map((t) => (
        <button key={t} type="submit" name="theme" value={t} aria-pressed={t === theme} title={t === 'system' ? 'Follow the system' : undefined}>
          {LABEL[t]}
        </button>
      ))}
    </form>
  )
}
