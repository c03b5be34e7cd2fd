import { sql } from 'kysely'
import { Secret, TOTP } from 'otpauth'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshStateDb } from '../../test/state-db'
import { listAudit } from '../audit/audit-log'
import { attemptLogin } from './login'
import { CHALLENGE_MINUTES, issueChallenge, loginChallengeKey, readChallenge } from './login-challenge'
import { beginTotpEnrolment, confirmTotpEnrolment, TWO_FACTOR_LIMITS, totpKey } from './totp'
import { CHALLENGE_INVALID_MESSAGE, completeSecondFactor } from './two-factor-login'
import { createUser, findUserById, resetPassword, setUserDisabled } from './users'

const SECRET = 'z'.repeat(40)
const KEYS = { challenge: loginChallengeKey(SECRET), totp: totpKey(SECRET) }
const STEP = 30_000

const codeAt = (secret: string, at: number) =>
  TOTP.generate({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30, timestamp: at })

function wrongCode(secret: string, at: number): string {
  const valid = new Set([-1, 0, 1].map((d) => codeAt(secret, at + d * STEP)))
  for (let n = 0; ; n++) {
    const candidate = String(n).padStart(6, '0')
    if (!valid.has(candidate)) return candidate
  }
}

let state: Awaited<ReturnType<typeof freshStateDb>>

beforeAll(async () => {
  state = await freshStateDb()
})
afterAll(() => state?.drop())

/** An account of its own per test, enrolled in TOTP at `at`. */
async function enrolled(name: string, at = Date.now()) {
  const email = `${name}@2fa.test`
  const password = `${name}-password-123`
  const user = await createUser(state.db, { email, role: 'admin', password })
  const begun = await beginTotpEnrolment(state.db, KEYS.totp, { userId: user.id, accountName: email })
  if (!begun.ok) throw new Error(begun.message)
  const confirmed = await confirmTotpEnrolment(state.db, KEYS.totp, { userId: user.id, code: codeAt(begun.secret, at), now: at })
  if (!confirmed.ok) throw new Error(confirmed.message)
  return { ...user, password, secret: begun.secret, recoveryCodes: confirmed.recoveryCodes }
}

async function passwordStep(email: string, password: string, clientIp = '10.9.0.1') {
  const outcome = await attemptLogin(state.db, { email, password, clientIp, challengeKey: KEYS.challenge })
  if (outcome.ok || outcome.code !== 'second_factor_required' || !outcome.challenge) throw new Error(`no challenge: ${JSON.stringify(outcome)}`)
  return outcome.challenge
}

const second = (challenge: string, code: string, now?: number) => completeSecondFactor(state.db, KEYS, { challenge, code, clientIp: '10.9.0.2', now })

async function lastAudit(action: string) {
  return (await listAudit(state.db, { action, limit: 1 }))[0]
}

describe('signing in with two-factor', () => {
  it('a password alone gives no session to an enrolled account: a challenge instead, and no sign-in is recorded', async () => {
    const u = await enrolled('pw-alone')
    const outcome = await attemptLogin(state.db, { email: u.email, password: u.password, clientIp: '10.9.0.1', challengeKey: KEYS.challenge })
    expect(outcome.ok).toBe(false)
    expect(outcome).toMatchObject({ code: 'second_factor_required', user: { id: u.id } })
    expect((await findUserById(state.db, u.id))?.lastLoginAt).toBeNull()
    expect(await lastAudit('auth.login')).toMatchObject({ result: 'ok', code: 'second_factor_required', target: u.email, clientIp: '10.9.0.1' })
    // Without a key to sign one, there is no challenge either, and still no session.
    expect(await attemptLogin(state.db, { email: u.email, password: u.password, clientIp: null })).toMatchObject({ ok: false, challenge: null })
    // A wrong password is a wrong password, enrolled or not.
    expect(await attemptLogin(state.db, { email: u.email, password: 'wrong-password-1', clientIp: null, challengeKey: KEYS.challenge })).toMatchObject({
      ok: false,
      code: 'invalid_credentials',
    })
  })

  it('accepts a current code with the challenge, records the sign-in and audits it', async () => {
    const u = await enrolled('totp-ok', Date.now() - 2 * STEP)
    const challenge = await passwordStep(u.email, u.password)
    const outcome = await second(challenge, codeAt(u.secret, Date.now()))
    expect(outcome).toMatchObject({ ok: true, method: 'totp', user: { id: u.id, email: u.email } })
    expect((await findUserById(state.db, u.id))?.lastLoginAt).toBeInstanceOf(Date)
    expect(await lastAudit('auth.two_factor')).toMatchObject({
      actorId: u.id,
      result: 'ok',
      message: 'signed in with a code from the authenticator app',
      clientIp: '10.9.0.2',
    })
  })

  it('refuses a wrong code and a reused one, each audited with its reason', async () => {
    const now = Date.now()
    const u = await enrolled('wrong-reused', now - 2 * STEP)
    const challenge = await passwordStep(u.email, u.password)
    expect(await second(challenge, wrongCode(u.secret, now), now)).toMatchObject({ ok: false, code: 'invalid_code', message: 'That code is not right.' })
    expect(await lastAudit('auth.two_factor')).toMatchObject({ actorId: u.id, result: 'failed', code: 'invalid_code' })
    const code = codeAt(u.secret, now)
    expect(await second(challenge, code, now)).toMatchObject({ ok: true })
    // The same code again, with a new password step: spent.
    const again = await passwordStep(u.email, u.password)
    expect(await second(again, code, now + 1000)).toMatchObject({ ok: false, code: 'replayed', message: 'That code was already used. Wait for the next one.' })
    expect(await lastAudit('auth.two_factor')).toMatchObject({ result: 'failed', code: 'replayed' })
  })

  it(`stops a brute force after ${TWO_FACTOR_LIMITS.maxFailures} wrong codes: then even the right code is refused`, async () => {
    const now = Date.now()
    const u = await enrolled('brute', now - 2 * STEP)
    const challenge = await passwordStep(u.email, u.password)
    for (let i = 0; i < TWO_FACTOR_LIMITS.maxFailures; i++) {
      expect(await second(challenge, wrongCode(u.secret, now), now)).toMatchObject({ ok: false, code: 'invalid_code' })
    }
    const refused = await second(challenge, codeAt(u.secret, now), now)
    expect(refused).toMatchObject({ ok: false, code: 'rate_limited' })
    expect(refused.ok === false && refused.message).toMatch(/^Too many wrong codes\. Try again in 1[0-5] minutes\.$/)
    expect(await lastAudit('auth.two_factor')).toMatchObject({ result: 'denied', code: 'rate_limited' })
    // A new password step does not reset the count.
    const fresh = await passwordStep(u.email, u.password)
    expect(await second(fresh, codeAt(u.secret, now + STEP), now + STEP)).toMatchObject({ ok: false, code: 'rate_limited' })
    // After the window the right code works again.
    const later = now + (TWO_FACTOR_LIMITS.windowMinutes + 1) * 60_000
    const laterChallenge = issueChallenge(KEYS.challenge, { id: u.id, sessionVersion: 1, passwordHash: (await hashOf(u.id))! }, later)
    expect(await second(laterChallenge, codeAt(u.secret, later), later)).toMatchObject({ ok: true })
  })

  it('a recovery code signs in once, audited as a recovery code use', async () => {
    const u = await enrolled('recovery')
    const [code] = u.recoveryCodes
    const first = await second(await passwordStep(u.email, u.password), code.toUpperCase())
    expect(first).toMatchObject({ ok: true, method: 'recovery_code', recoveryCodesLeft: 9 })
    expect(await lastAudit('auth.recovery_code')).toMatchObject({ actorId: u.id, result: 'ok', message: 'signed in with a recovery code; 9 left' })
    expect(await second(await passwordStep(u.email, u.password), code)).toMatchObject({ ok: false, code: 'invalid_code' })
    expect(await lastAudit('auth.recovery_code')).toMatchObject({ result: 'failed', code: 'invalid_code' })
  })

  it('refuses a challenge that was altered, expired, or issued before a password reset or a disable', async () => {
    const now = Date.now()
    const u = await enrolled('challenge', now - 2 * STEP)
    const challenge = await passwordStep(u.email, u.password)
    const [body, mac] = challenge.split('.')
    const other = JSON.parse(Buffer.from(body, 'base64url').toString())
    const forged = `${Buffer.from(JSON.stringify({ ...other, e: other.e + 3600_000 })).toString('base64url')}.${mac}`
    const invalid = { ok: false, code: 'challenge_invalid', message: CHALLENGE_INVALID_MESSAGE }
    expect(await second(forged, codeAt(u.secret, now), now)).toEqual(invalid)
    expect(await second('not-a-challenge', codeAt(u.secret, now), now)).toEqual(invalid)
    expect(readChallenge(loginChallengeKey('y'.repeat(40)), challenge, now)).toBeNull()
    const late = now + CHALLENGE_MINUTES * 60_000 + 60_000
    expect(await second(challenge, codeAt(u.secret, late), late)).toEqual(invalid)
    expect(await lastAudit('auth.two_factor')).toMatchObject({ result: 'denied', code: 'challenge_invalid', message: 'challenge expired or not valid' })

    await resetPassword(state.db, u.id, 'another-password-123')
    expect(await second(challenge, codeAt(u.secret, now), now)).toEqual(invalid)
    const afterReset = await passwordStep(u.email, 'another-password-123')
    await setUserDisabled(state.db, u.id, true)
    expect(await second(afterReset, codeAt(u.secret, now), now)).toEqual(invalid)
    expect(await lastAudit('auth.two_factor')).toMatchObject({ actorId: u.id, message: 'account disabled' })
  })

  it('signs nobody in when the sign-in cannot be audited, and the code is not spent', async () => {
    const now = Date.now()
    const u = await enrolled('unaudited', now - 2 * STEP)
    const challenge = await passwordStep(u.email, u.password)
    await sql`create function refuse_audit() returns trigger language plpgsql as $$ begin raise exception 'audit log refused'; end $$`.execute(state.db)
    await sql`create trigger refuse_audit before insert on audit_log for each row when (new.action = 'auth.two_factor') execute function refuse_audit()`.execute(state.db)
    try {
      await expect(second(challenge, codeAt(u.secret, now), now)).rejects.toThrow('audit log refused')
    } finally {
      await sql`drop trigger refuse_audit on audit_log`.execute(state.db)
      await sql`drop function refuse_audit()`.execute(state.db)
    }
    expect((await findUserById(state.db, u.id))?.lastLoginAt).toBeNull()
    expect(await second(challenge, codeAt(u.secret, now), now)).toMatchObject({ ok: true })
  })
})

async function hashOf(id: string): Promise<string | undefined> {
  const row = await state.db.selectFrom('app_user').select('password_hash').where('id', '=', id).executeTakeFirst()
  return row?.password_hash
}
