import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshStateDb } from '../../test/state-db'
import { verifyPassword } from './passwords'
import {
  countActiveAdmins,
  createUser,
  endSessions,
  findUserByEmailWithHash,
  findUserById,
  listUsers,
  resetPassword,
  setUserDisabled,
  setUserRole,
  UserRuleError,
} from './users'

let state: Awaited<ReturnType<typeof freshStateDb>>

beforeAll(async () => {
  state = await freshStateDb()
})
afterAll(() => state?.drop())

async function ruleError(promise: Promise<unknown>): Promise<UserRuleError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a UserRuleError, the call succeeded')
    },
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(UserRuleError)
  return error as UserRuleError
}

async function storedHash(id: string): Promise<string> {
  const row = await state.db.selectFrom('app_user').select('password_hash').where('id', '=', id).executeTakeFirstOrThrow()
  return row.password_hash
}

/** Ids of the admins that are not disabled. */
async function activeAdmins(): Promise<string[]> {
  return (await listUsers(state.db)).filter((u) => u.role === 'admin' && !u.disabled).map((u) => u.id)
}

describe('createUser', () => {
  it('stores an argon2id hash, never the password', async () => {
    const user = await createUser(state.db, { email: ' New.User@Test.local ', name: ' New ', role: 'operator', password: 'correct-horse-battery' })
    expect(user).toMatchObject({ email: 'New.User@Test.local', name: 'New', role: 'operator', disabled: false, sessionVersion: 1, lastLoginAt: null })
    expect(user).not.toHaveProperty('passwordHash')
    const hash = await storedHash(user.id)
    expect(hash.startsWith('$argon2id$')).toBe(true)
    expect(hash).not.toContain('correct-horse-battery')
    expect(await verifyPassword(hash, 'correct-horse-battery')).toBe(true)
    expect(await verifyPassword(hash, 'correct-horse-batterY')).toBe(false)
    expect((await findUserByEmailWithHash(state.db, 'new.user@test.LOCAL'))?.id).toBe(user.id)
  })

  it('refuses a duplicate e-mail regardless of case and spaces', async () => {
    for (const email of ['admin@test.local', 'ADMIN@Test.Local', '  Admin@test.local ']) {
      const error = await ruleError(createUser(state.db, { email, role: 'viewer', password: 'another-password-1' }))
      expect(error.code).toBe('duplicate_email')
      expect(error.message).toBe(`A user with the e-mail ${email.trim()} already exists.`)
    }
    expect((await listUsers(state.db)).filter((u) => u.email.toLowerCase() === 'admin@test.local')).toHaveLength(1)
  })
})

describe('the last active admin', () => {
  it('cannot be demoted or disabled', async () => {
    expect(await activeAdmins()).toEqual([state.users.admin.id])
    for (const role of ['operator', 'viewer'] as const) {
      expect((await ruleError(setUserRole(state.db, state.users.admin.id, role))).code).toBe('last_admin')
    }
    const error = await ruleError(setUserDisabled(state.db, state.users.admin.id, true))
    expect(error.code).toBe('last_admin')
    expect(error.message).toBe('This is the last active admin: make another admin first.')
    const admin = await findUserById(state.db, state.users.admin.id)
    expect(admin).toMatchObject({ role: 'admin', disabled: false, sessionVersion: 1 })
  })

  it('may keep its role, and a disabled admin does not count', async () => {
    expect((await setUserRole(state.db, state.users.admin.id, 'admin')).role).toBe('admin')
    const other = await createUser(state.db, { email: 'other-admin@test.local', role: 'admin', password: 'other-admin-pass' })
    await setUserDisabled(state.db, other.id, true)
    expect(await countActiveAdmins(state.db)).toBe(1)
    expect((await ruleError(setUserRole(state.db, state.users.admin.id, 'viewer'))).code).toBe('last_admin')
    // A disabled admin may be demoted: it is not active.
    expect((await setUserRole(state.db, other.id, 'viewer')).role).toBe('viewer')
  })

  it('can step down once another admin exists', async () => {
    const second = await createUser(state.db, { email: 'second-admin@test.local', role: 'admin', password: 'second-admin-pass' })
    expect((await setUserRole(state.db, state.users.admin.id, 'operator')).role).toBe('operator')
    expect((await ruleError(setUserRole(state.db, second.id, 'operator'))).code).toBe('last_admin')
    await setUserRole(state.db, state.users.admin.id, 'admin')
    await setUserRole(state.db, second.id, 'viewer')
    expect(await activeAdmins()).toEqual([state.users.admin.id])
  })

  it('survives two admins demoting each other at the same time', async () => {
    for (let round = 0; round < 5; round++) {
      const [survivor] = await activeAdmins()
      const rival = await createUser(state.db, { email: `rival-${round}@test.local`, role: 'admin', password: 'rival-password-1' })
      const results = await Promise.allSettled([
        setUserRole(state.db, survivor, 'operator'),
        round % 2 ? setUserDisabled(state.db, rival.id, true) : setUserRole(state.db, rival.id, 'viewer'),
      ])
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
      const [rejected] = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
      expect(rejected.reason).toBeInstanceOf(UserRuleError)
      expect(rejected.reason.code).toBe('last_admin')
      expect(await countActiveAdmins(state.db)).toBe(1)
    }
    // Back to the seeded admin being the only one, for the tests below.
    const [last] = await activeAdmins()
    if (last !== state.users.admin.id) {
      await setUserRole(state.db, state.users.admin.id, 'admin')
      await setUserRole(state.db, last, 'viewer')
    }
    expect(await activeAdmins()).toEqual([state.users.admin.id])
  })
})

describe('sessions end on disable and password reset', () => {
  it('disable bumps session_version; enabling keeps it', async () => {
    const user = await createUser(state.db, { email: 'to-disable@test.local', role: 'operator', password: 'to-disable-pass' })
    const disabled = await setUserDisabled(state.db, user.id, true)
    expect(disabled).toMatchObject({ disabled: true, sessionVersion: 2 })
    const enabled = await setUserDisabled(state.db, user.id, false)
    expect(enabled).toMatchObject({ disabled: false, sessionVersion: 2 })
  })

  it('resetPassword bumps session_version and the new password verifies', async () => {
    const id = state.users.viewer.id
    const before = await findUserById(state.db, id)
    const after = await resetPassword(state.db, id, 'brand-new-password-42')
    expect(after.sessionVersion).toBe(before!.sessionVersion + 1)
    const hash = await storedHash(id)
    expect(hash.startsWith('$argon2id$')).toBe(true)
    expect(await verifyPassword(hash, 'brand-new-password-42')).toBe(true)
    expect(await verifyPassword(hash, 'viewer-password-123')).toBe(false)
  })

  it('endSessions (sign-out) bumps session_version once, for the current version only', async () => {
    const user = await createUser(state.db, { email: 'signs-out@test.local', role: 'viewer', password: 'signs-out-pass' })
    expect(await endSessions(state.db, user.id, user.sessionVersion)).toBe(true)
    expect((await findUserById(state.db, user.id))?.sessionVersion).toBe(user.sessionVersion + 1)
    // The same (now stale) token signing out again, or a bad id, changes nothing.
    expect(await endSessions(state.db, user.id, user.sessionVersion)).toBe(false)
    expect(await endSessions(state.db, 'not-a-uuid', 1)).toBe(false)
    expect((await findUserById(state.db, user.id))?.sessionVersion).toBe(user.sessionVersion + 1)
  })

  it('an unknown user is not_found', async () => {
    const missing = '00000000-0000-4000-8000-000000000000'
    expect((await ruleError(resetPassword(state.db, missing, 'whatever-password'))).code).toBe('not_found')
    expect((await ruleError(setUserRole(state.db, missing, 'viewer'))).code).toBe('not_found')
    expect(await findUserById(state.db, 'not-a-uuid')).toBeNull()
  })
})
