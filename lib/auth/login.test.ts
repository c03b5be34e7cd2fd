import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshStateDb } from '../../test/state-db'
import { listAudit } from '../audit/audit-log'
import { attemptLogin, GENERIC_LOGIN_ERROR, LOGIN_LIMITS } from './login'
import { createUser, findUserById, setUserDisabled } from './users'

let state: Awaited<ReturnType<typeof freshStateDb>>

beforeAll(async () => {
  state = await freshStateDb()
})
afterAll(() => state?.drop())

const INVALID = { ok: false, code: 'invalid_credentials', message: GENERIC_LOGIN_ERROR }
const login = (email: string, password: string, clientIp: string | null) =>
  attemptLogin(state.db, { email, password, clientIp })

/** A user of its own per test, so that the failures of one test do not limit another. */
async function account(name: string) {
  const email = `${name}@login.test`
  const password = `${name}-password-123`
  const user = await createUser(state.db, { email, role: 'operator', password })
  return { ...user, password }
}

async function lastLoginAudit() {
  const [row] = await listAudit(state.db, { action: 'auth.login', limit: 1 })
  return row
}

/** Failed-login audit rows `minutesAgo` in the past, as attemptLogin would have written them. */
async function pastFailures(n: number, target: string, clientIp: string, minutesAgo: number) {
  await state.db
    .insertInto('audit_log')
    .values(
      Array.from({ length: n }, () => ({
        at: sql`now() - make_interval(mins => ${minutesAgo})`,
        action: 'auth.login',
        target,
        result: 'failed',
        code: 'invalid_credentials',
        message: 'wrong password',
        client_ip: clientIp,
      })),
    )
    .execute()
}

describe('attemptLogin', () => {
  it('accepts the right password, records the login and audits it as ok', async () => {
    const outcome = await login(' Admin@Test.local ', 'admin-password-123', '10.0.0.1')
    expect(outcome.ok).toBe(true)
    if (!outcome.ok) return
    expect(outcome.user).toMatchObject({ id: state.users.admin.id, email: 'admin@test.local', role: 'admin' })
    expect(outcome.user).not.toHaveProperty('passwordHash')
    expect((await findUserById(state.db, state.users.admin.id))?.lastLoginAt).toBeInstanceOf(Date)
    expect(await lastLoginAudit()).toMatchObject({
      actorId: state.users.admin.id,
      actorEmail: 'admin@test.local',
      target: 'admin@test.local',
      result: 'ok',
      code: 'ok',
      clientIp: '10.0.0.1',
    })
  })

  it('gives the same answer for a wrong password, an unknown e-mail and a disabled account', async () => {
    const disabled = await account('disabled')
    await setUserDisabled(state.db, disabled.id, true)

    expect(await login('viewer@test.local', 'not-the-password', '10.0.1.1')).toEqual(INVALID)
    expect(await lastLoginAudit()).toMatchObject({ actorId: null, result: 'failed', code: 'invalid_credentials', message: 'wrong password' })

    expect(await login('nobody@test.local', 'viewer-password-123', '10.0.1.1')).toEqual(INVALID)
    expect(await lastLoginAudit()).toMatchObject({ actorId: null, target: 'nobody@test.local', message: 'unknown account' })

    expect(await login(disabled.email, disabled.password, '10.0.1.1')).toEqual(INVALID)
    expect(await lastLoginAudit()).toMatchObject({ actorId: null, result: 'failed', message: 'account disabled' })
  })

  it(`slows an account down after ${LOGIN_LIMITS.perAccount} failures, for the addresses that failed`, async () => {
    const user = await account('limited')
    const attacker = '10.0.2.1'
    for (let i = 0; i < LOGIN_LIMITS.perAccount; i++) {
      // Failures count per account whatever the case of the e-mail.
      const email = i % 2 ? user.email.toUpperCase() : user.email
      expect(await login(email, 'wrong-password', attacker)).toEqual(INVALID)
    }

    // The failing address waits, even with the right password, and is told how long.
    const limited = await login(user.email, user.password, attacker)
    expect(limited).toEqual({ ok: false, code: 'rate_limited', message: `Too many failed logins. Try again in ${LOGIN_LIMITS.firstDelaySeconds} seconds.` })
    expect(await lastLoginAudit()).toMatchObject({ target: user.email, result: 'denied', code: 'rate_limited', actorId: null, clientIp: attacker })
    // Without a known address a try counts as coming from a failing one.
    expect(await login(user.email, user.password, null)).toMatchObject({ ok: false, code: 'rate_limited' })

    // The owner, from an address that has not failed, signs in with the right password.
    expect((await login(user.email, user.password, '10.0.3.1')).ok).toBe(true)
    // Refused attempts did not add failures.
    const failures = await listAudit(state.db, { action: 'auth.login', result: 'failed', q: user.email })
    expect(failures).toHaveLength(LOGIN_LIMITS.perAccount)
  })

  it('doubles the wait with each further failure, up to the maximum, and lets the address in when it is over', async () => {
    const limits = { ...LOGIN_LIMITS, perAccount: 2, firstDelaySeconds: 10, maxDelaySeconds: 35 }
    const user = await account('progressive')
    const ip = '10.0.8.8'
    const tryAs = (password: string, from = ip) => attemptLogin(state.db, { email: user.email, password, clientIp: from }, limits)
    // Failures from different addresses all slow the account down: 2 failures → 10 s.
    await pastFailures(1, user.email, '10.0.8.1', 2)
    await pastFailures(1, user.email, ip, 2)
    // The last failure was 2 minutes ago: the 10 s wait is over.
    expect(await tryAs('wrong-password')).toEqual(INVALID)
    // 3 failures → 20 s, counted from the one just made.
    expect(await tryAs(user.password)).toMatchObject({ code: 'rate_limited', message: expect.stringMatching(/Try again in (19|20) seconds\./) })
    // A fresh address may still try; its wrong guess counts too: 4 failures → 35 s (40 capped).
    expect(await tryAs('wrong-password', '10.0.8.2')).toEqual(INVALID)
    expect(await tryAs(user.password, '10.0.8.2')).toMatchObject({ message: expect.stringMatching(/Try again in (34|35) seconds\./) })
    expect(await tryAs(user.password)).toMatchObject({ message: expect.stringMatching(/Try again in (34|35) seconds\./) })
    // Once the wait is over (failures moved 40 s into the past) the right password gets in.
    await state.db
      .updateTable('audit_log')
      .set({ at: sql`at - interval '40 seconds'` })
      .where('action', '=', 'auth.login')
      .where(sql`lower(target)`, '=', user.email)
      .execute()
    expect((await tryAs(user.password)).ok).toBe(true)
  })

  it(`limits an address after ${LOGIN_LIMITS.perAddress} failures across accounts`, async () => {
    const ip = '10.0.4.4'
    for (let i = 0; i < LOGIN_LIMITS.perAddress - 1; i++) {
      expect(await login(`probe-${i}@login.test`, 'guess-password', ip)).toEqual(INVALID)
    }
    const user = await account('behind-nat')
    expect((await login(user.email, user.password, ip)).ok).toBe(true)
    expect(await login(`probe-last@login.test`, 'guess-password', ip)).toEqual(INVALID)

    const limited = await login(user.email, user.password, ip)
    expect(limited).toEqual({ ok: false, code: 'rate_limited', message: 'Too many failed logins. Try again in 15 minutes.' })
    // The same account from another address is not limited: it has no failures of its own.
    expect((await login(user.email, user.password, '10.0.4.5')).ok).toBe(true)
    // Without a known address only the account's own failures count, and it has none.
    expect((await login(user.email, user.password, null)).ok).toBe(true)
  })

  it('forgets failures older than the window', async () => {
    const user = await account('old-failures')
    const ip = '10.0.5.5'
    await pastFailures(LOGIN_LIMITS.perAccount, user.email, ip, LOGIN_LIMITS.windowMinutes + 1)
    await pastFailures(LOGIN_LIMITS.perAddress, 'someone-else@login.test', ip, LOGIN_LIMITS.windowMinutes + 1)
    expect((await login(user.email, user.password, ip)).ok).toBe(true)
  })

  it('counts an address\'s failures just inside the window and says when to come back', async () => {
    const ip = '10.0.6.6'
    // The limit lifts when the oldest of the last perAddress failures leaves the window: in 1 minute here.
    await pastFailures(LOGIN_LIMITS.perAddress - 1, 'spray-1@login.test', ip, LOGIN_LIMITS.windowMinutes - 1)
    await pastFailures(1, 'spray-2@login.test', ip, 3)
    const user = await account('recent-failures')
    expect(await login(user.email, user.password, ip)).toMatchObject({
      code: 'rate_limited',
      message: expect.stringMatching(/^Too many failed logins\. Try again in (59|60) seconds\.$/),
    })
    expect((await login(user.email, user.password, '10.0.6.7')).ok).toBe(true)
  })

  it('keeps slowing down an account whose failures are just inside the window', async () => {
    const user = await account('account-window')
    // The e-mail's case does not matter; the newest failure 3 s ago leaves a 12 s wait.
    await pastFailures(LOGIN_LIMITS.perAccount - 1, user.email, '10.0.9.9', LOGIN_LIMITS.windowMinutes - 1)
    await state.db
      .insertInto('audit_log')
      .values({ at: sql`now() - interval '3 seconds'`, action: 'auth.login', target: user.email.toUpperCase(), result: 'failed', code: 'invalid_credentials', client_ip: '10.0.9.9' })
      .execute()
    expect(await login(user.email, user.password, '10.0.9.9')).toMatchObject({ message: expect.stringMatching(/Try again in 1[12] seconds\./) })
  })

  it('clears an account\'s earlier failures on a successful sign-in, but not its address\'s', async () => {
    const user = await account('recovers')
    for (let i = 0; i < LOGIN_LIMITS.perAccount - 1; i++) {
      expect(await login(user.email, 'wrong-password', '10.0.7.7')).toEqual(INVALID)
    }
    expect((await login(user.email, user.password, '10.0.7.7')).ok).toBe(true)
    expect(await login(user.email, 'wrong-password', '10.0.7.7')).toEqual(INVALID)
    expect((await login(user.email, user.password, '10.0.7.7')).ok).toBe(true)
  })
})
