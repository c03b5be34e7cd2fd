import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { type ActionHarness, openActionHarness } from '../../test/action-harness'
import { listAudit } from '@/lib/audit/audit-log'
import type { GuardedSpec } from '@/lib/auth/guarded-run'
import { ROLES } from '@/lib/auth/permissions'
import { readTheme } from '@/lib/auth/theme'

// revalidatePath needs a Next request; here the action runs in plain Node.
vi.mock('next/cache', () => ({ revalidatePath: () => {} }))

let h: ActionHarness
let spec: GuardedSpec<any, any>

beforeAll(async () => {
  h = await openActionHarness('theme')
  const { wrappedSpec } = await import('@/lib/auth/action')
  spec = wrappedSpec((await import('./actions')).setThemeAction)!
})
afterAll(() => h?.close())

const form = (theme: string) => {
  const f = new FormData()
  f.set('theme', theme)
  return f
}

describe('setThemeAction', () => {
  it('lets every role set its own theme, and only its own', async () => {
    const { state } = h
    for (const role of ROLES) expect(await readTheme(state.db, state.users[role].id)).toBe('system')
    expect(await h.as('viewer', spec, form('dark'))).toMatchObject({ ok: true, message: 'Theme set to dark.' })
    expect(await h.as('operator', spec, { theme: 'light' })).toMatchObject({ ok: true })
    expect(await h.as('admin', spec, form('dark'))).toMatchObject({ ok: true })
    expect(await readTheme(state.db, state.users.viewer.id)).toBe('dark')
    expect(await readTheme(state.db, state.users.operator.id)).toBe('light')
    expect(await readTheme(state.db, state.users.admin.id)).toBe('dark')
    // Naming another user changes nothing for them: the action only ever writes the caller's row.
    expect(await h.as('viewer', spec, { theme: 'system', userId: state.users.admin.id })).toMatchObject({ ok: true })
    expect(await readTheme(state.db, state.users.viewer.id)).toBe('system')
    expect(await readTheme(state.db, state.users.admin.id)).toBe('dark')
    const audit = await listAudit(state.db, { action: 'profile.set_theme', result: 'ok' })
    expect(audit.map((a) => a.actorEmail).sort()).toEqual(
      [state.users.viewer.email, state.users.operator.email, state.users.admin.email, state.users.viewer.email].sort(),
    )
  })

  it('refuses a theme it does not know, with a clear message, and changes nothing', async () => {
    const { state } = h
    const result = await h.as('operator', spec, form('purple'))
    expect(result).toMatchObject({ ok: false, code: 'invalid_input', fieldErrors: { theme: 'choose system, light or dark' } })
    expect(await readTheme(state.db, state.users.operator.id)).toBe('light')
  })

  it('refuses anyone not signed in', async () => {
    const { runGuarded } = await import('@/lib/auth/guarded-run')
    const result = await runGuarded(spec, { stateDb: h.state.db, session: null, clientIp: null, rawInput: form('dark') })
    expect(result).toMatchObject({ ok: false, code: 'unauthenticated' })
  })
})
