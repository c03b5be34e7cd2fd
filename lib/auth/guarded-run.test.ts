import { sql } from 'kysely'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { freshStateDb } from '../../test/state-db'
import { listAudit } from '../audit/audit-log'
import { ActionError } from './action-result'
import { type GuardedSpec, runGuarded, type SessionClaims } from './guarded-run'
import type { Role } from './permissions'
import { createUser, resetPassword, setUserDisabled } from './users'

let state: Awaited<ReturnType<typeof freshStateDb>>

beforeAll(async () => {
  state = await freshStateDb()
})
afterAll(() => state?.drop())

const TARGET_ID = '11111111-2222-4333-8444-555555555555'
const Input = z.object({ userId: z.uuid(), role: z.enum(['admin', 'operator', 'viewer']) })

let runs: { user: string; input: unknown }[] = []
let behaviour: () => void = () => {}
let logged: { ref: string; error: unknown }[] = []
beforeEach(() => {
  runs = []
  behaviour = () => {}
  logged = []
})

const setRole: GuardedSpec<typeof Input, { changed: string }> = {
  name: 'users.set_role',
  permission: 'users.manage',
  input: Input,
  target: (input) => input.userId,
  async run(ctx, input) {
    runs.push({ user: ctx.user.email, input })
    behaviour()
    return { message: 'Role changed.', data: { changed: input.userId } }
  },
}

const NoInput = z.object({})
const runCheck: GuardedSpec<typeof NoInput, undefined> = {
  name: 'checks.run_all',
  permission: 'checks.run',
  input: NoInput,
  async run(ctx) {
    runs.push({ user: ctx.user.email, input: {} })
    return { message: 'Checks started.', target: 'all-checks' }
  },
}

const session = (role: Role, sessionVersion = 1): SessionClaims => ({ userId: state.users[role].id, sessionVersion })

function call<S extends z.ZodType, T>(spec: GuardedSpec<S, T>, s: SessionClaims | null, rawInput: unknown = { userId: TARGET_ID, role: 'viewer' }) {
  return runGuarded(spec, {
    stateDb: state.db,
    session: s,
    clientIp: '192.0.2.7',
    rawInput,
    logError: (ref, error) => logged.push({ ref, error }),
  })
}

async function lastAudit() {
  const [row] = await listAudit(state.db, { limit: 1 })
  return row
}

describe('runGuarded', () => {
  it('runs for an admin and audits ok with actor, target and input', async () => {
    const result = await call(setRole, session('admin'))
    expect(result).toEqual({ ok: true, code: 'ok', message: 'Role changed.', data: { changed: TARGET_ID } })
    expect(runs).toEqual([{ user: 'admin@test.local', input: { userId: TARGET_ID, role: 'viewer' } }])
    expect(await lastAudit()).toMatchObject({
      action: 'users.set_role',
      actorId: state.users.admin.id,
      actorEmail: 'admin@test.local',
      target: TARGET_ID,
      input: { userId: TARGET_ID, role: 'viewer' },
      result: 'ok',
      code: 'ok',
      message: 'Role changed.',
      clientIp: '192.0.2.7',
    })
  })

  it.each(['operator', 'viewer'] as const)('refuses a %s without running the handler', async (role) => {
    const result = await call(setRole, session(role))
    expect(result).toEqual({ ok: false, code: 'forbidden', message: `Your role (${role}) may not do this.` })
    expect(runs).toEqual([])
    expect(await lastAudit()).toMatchObject({
      action: 'users.set_role',
      actorId: state.users[role].id,
      result: 'denied',
      code: 'forbidden',
    })
  })

  it('refuses a call without a session', async () => {
    const result = await call(setRole, null)
    expect(result).toEqual({ ok: false, code: 'unauthenticated', message: 'Your session has ended. Sign in again.' })
    expect(runs).toEqual([])
    expect(await lastAudit()).toMatchObject({ action: 'users.set_role', actorId: null, actorEmail: null, result: 'denied', code: 'unauthenticated' })
    expect((await call(setRole, { userId: 'not-a-uuid', sessionVersion: 1 })).code).toBe('unauthenticated')
  })

  it('refuses a disabled admin at once, whatever the session version', async () => {
    const admin = await createUser(state.db, { email: 'soon-disabled@test.local', role: 'admin', password: 'soon-disabled-pass' })
    const before = { userId: admin.id, sessionVersion: 1 }
    expect((await call(setRole, before)).ok).toBe(true)
    const disabled = await setUserDisabled(state.db, admin.id, true)
    runs = []
    expect((await call(setRole, before)).code).toBe('unauthenticated')
    expect((await call(setRole, { userId: admin.id, sessionVersion: disabled.sessionVersion })).code).toBe('unauthenticated')
    expect(runs).toEqual([])
  })

  it('refuses a stale session version after a password reset', async () => {
    const admin = await createUser(state.db, { email: 'reset-admin@test.local', role: 'admin', password: 'reset-admin-pass' })
    const reset = await resetPassword(state.db, admin.id, 'reset-admin-pass-2')
    expect((await call(setRole, { userId: admin.id, sessionVersion: 1 })).code).toBe('unauthenticated')
    expect(runs).toEqual([])
    expect((await call(setRole, { userId: admin.id, sessionVersion: reset.sessionVersion })).ok).toBe(true)
  })

  it('rejects invalid input naming the field, without running the handler', async () => {
    const result = await call(setRole, session('admin'), { userId: 'nope', role: 'viewer' })
    expect(result.ok).toBe(false)
    expect(result.code).toBe('invalid_input')
    expect(result.message).toBe('userId: Invalid UUID')
    expect(result.ok === false && result.fieldErrors).toEqual({ userId: 'Invalid UUID' })
    expect(runs).toEqual([])
    expect(await lastAudit()).toMatchObject({ result: 'invalid', code: 'invalid_input', target: null, actorId: state.users.admin.id })

    const missing = await call(setRole, session('admin'), { userId: TARGET_ID })
    expect(missing.message).toBe('role: Invalid option: expected one of "admin"|"operator"|"viewer"')
    const notAnObject = await call(setRole, session('admin'), null)
    expect(notAnObject.code).toBe('invalid_input')
    expect(notAnObject.message).toBe('Invalid input: expected object, received null')
    expect(runs).toEqual([])
  })

  it('accepts FormData, skipping Next action fields and redacting secrets in the audit', async () => {
    const form = new FormData()
    form.set('$ACTION_ID_abc', '')
    form.set('userId', TARGET_ID)
    form.set('role', 'operator')
    form.set('password', 'typed-by-mistake')
    const result = await call(setRole, session('admin'), form)
    expect(result).toMatchObject({ ok: true, code: 'ok' })
    expect(runs).toEqual([{ user: 'admin@test.local', input: { userId: TARGET_ID, role: 'operator' } }])
    expect((await lastAudit()).input).toEqual({ userId: TARGET_ID, role: 'operator', password: '[redacted]' })
  })

  it('passes on an ActionError with its code and message', async () => {
    behaviour = () => {
      throw new ActionError('conflict', 'That user changed meanwhile.')
    }
    expect(await call(setRole, session('admin'))).toEqual({ ok: false, code: 'conflict', message: 'That user changed meanwhile.' })
    expect(await lastAudit()).toMatchObject({ result: 'failed', code: 'conflict', message: 'That user changed meanwhile.', target: TARGET_ID })
    expect(logged).toEqual([])
  })

  it('hides an unexpected error from the caller but keeps it in the audit log with a reference', async () => {
    const error = new Error('secret SQL detail')
    behaviour = () => {
      throw error
    }
    const result = await call(setRole, session('admin'))
    expect(result.ok).toBe(false)
    expect(result.code).toBe('internal')
    expect(result.message).not.toContain('secret SQL detail')
    const ref = /reference ([0-9a-f]{8})\)/.exec(result.message)?.[1]
    expect(ref).toBeDefined()
    expect(result.message).toBe(`Something went wrong (reference ${ref}). The details are in the server log.`)
    expect(logged).toEqual([{ ref, error }])
    expect(await lastAudit()).toMatchObject({ result: 'error', code: 'internal', message: `reference ${ref}: secret SQL detail` })
  })

  it.each([
    ['admin', true],
    ['operator', true],
    ['viewer', false],
  ] as const)('checks.run as %s: allowed %s', async (role, allowed) => {
    const result = await call(runCheck, session(role), {})
    if (allowed) {
      expect(result).toEqual({ ok: true, code: 'ok', message: 'Checks started.', data: undefined })
      expect(runs).toEqual([{ user: `${role}@test.local`, input: {} }])
      expect(await lastAudit()).toMatchObject({ action: 'checks.run_all', result: 'ok', target: 'all-checks', actorEmail: `${role}@test.local` })
    } else {
      expect(result).toEqual({ ok: false, code: 'forbidden', message: 'Your role (viewer) may not do this.' })
      expect(runs).toEqual([])
      expect(await lastAudit()).toMatchObject({ action: 'checks.run_all', result: 'denied', code: 'forbidden' })
    }
  })
})

describe('runGuarded with a route body (readInput) and a refusal', () => {
  const withBody = (s: SessionClaims | null, read: () => Promise<unknown>, refusal?: { code: string; message: string }) =>
    runGuarded(setRole, { stateDb: state.db, session: s, clientIp: '192.0.2.8', rawInput: undefined, readInput: read, refusal })

  it('reads the body only once the caller may make the change', async () => {
    let reads = 0
    const read = async () => {
      reads++
      return { userId: TARGET_ID, role: 'operator' }
    }
    expect((await withBody(null, read)).code).toBe('unauthenticated')
    expect((await withBody(session('viewer'), read)).code).toBe('forbidden')
    expect(reads).toBe(0)
    expect(await withBody(session('admin'), read)).toMatchObject({ ok: true })
    expect(reads).toBe(1)
    expect((await lastAudit()).input).toEqual({ userId: TARGET_ID, role: 'operator' })
  })

  it('turns a refused body into its result and audits it as invalid', async () => {
    const result = await withBody(session('admin'), async () => {
      throw new ActionError('too_large', 'The body is larger than 1024 KB.')
    })
    expect(result).toEqual({ ok: false, code: 'too_large', message: 'The body is larger than 1024 KB.' })
    expect(runs).toEqual([])
    expect(await lastAudit()).toMatchObject({ result: 'invalid', code: 'too_large', actorId: state.users.admin.id, input: null })
  })

  it('refuses a cross-site request whoever sends it, naming the victim in the audit log', async () => {
    let reads = 0
    const refusal = { code: 'cross_site', message: 'This request came from another site and was refused.' }
    const result = await withBody(session('admin'), async () => reads++, refusal)
    expect(result).toEqual({ ok: false, ...refusal })
    expect(reads).toBe(0)
    expect(runs).toEqual([])
    expect(await lastAudit()).toMatchObject({ result: 'denied', code: 'cross_site', actorEmail: 'admin@test.local', clientIp: '192.0.2.8' })
    expect((await withBody(null, async () => reads++, refusal)).code).toBe('cross_site')
  })

  it('stores at most 8 KB of a huge input in the audit log', async () => {
    const huge = Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`field_${i}`, 'v'.repeat(40)]))
    expect((await withBody(session('admin'), async () => huge)).code).toBe('invalid_input')
    const row = await state.db.selectFrom('audit_log').select(sql<number>`length(input::text)`.as('size')).orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow()
    expect(Number(row.size)).toBeLessThanOrEqual(8192)
  })
})
