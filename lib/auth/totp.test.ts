import { Secret, TOTP } from 'otpauth'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshStateDb } from '../../test/state-db'
import { generateRecoveryCode, hashRecoveryCode, looksLikeRecoveryCode } from './recovery-codes'
import { open, seal } from './secret-box'
import {
  TWO_FACTOR_LIMITS,
  beginTotpEnrolment,
  confirmTotpEnrolment,
  regenerateRecoveryCodes,
  resetTwoFactor,
  totpKey,
  twoFactorStatus,
  verifySecondFactor,
} from './totp'

const KEY = totpKey('x'.repeat(40))
const T0 = Date.UTC(2026, 11, 3, 12, 0, 0)
const STEP = 30_000

const codeAt = (secret: string, at: number) =>
  TOTP.generate({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30, timestamp: at })

/** A six-digit code that is not valid around `at` for this secret. */
function wrongCode(secret: string, at: number): string {
  const valid = new Set([-1, 0, 1].map((d) => codeAt(secret, at + d * STEP)))
  for (let n = 0; ; n++) {
    const candidate = String(n).padStart(6, '0')
    if (!valid.has(candidate)) return candidate
  }
}

describe('secret box', () => {
  it('opens what it sealed only with the same key and context', () => {
    const sealed = seal(KEY, 'JBSWY3DPEHPK3PXP', 'user-1')
    expect(sealed).not.toContain('JBSWY3DPEHPK3PXP')
    expect(open(KEY, sealed, 'user-1')).toBe('JBSWY3DPEHPK3PXP')
    expect(open(KEY, sealed, 'user-2')).toBeNull()
    expect(open(totpKey('y'.repeat(40)), sealed, 'user-1')).toBeNull()
    const [v, iv, tag, body] = sealed.split(':')
    expect(open(KEY, [v, iv, tag, Buffer.from('tampered').toString('base64') + body].join(':'), 'user-1')).toBeNull()
    expect(open(KEY, 'garbage', 'user-1')).toBeNull()
  })

  it('refuses a short AUTH_SECRET', () => {
    expect(() => totpKey('short')).toThrow(/at least 32/)
  })
})

describe('recovery codes', () => {
  it('are 80-bit codes in four groups, recognised however they are typed', () => {
    const code = generateRecoveryCode()
    expect(code).toMatch(/^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/)
    expect(looksLikeRecoveryCode(code.toUpperCase().replace(/-/g, ' '))).toBe(true)
    expect(hashRecoveryCode(code.toUpperCase())).toBe(hashRecoveryCode(code.replace(/-/g, '')))
    expect(looksLikeRecoveryCode('123456')).toBe(false)
    expect(new Set(Array.from({ length: 200 }, generateRecoveryCode)).size).toBe(200)
  })
})

describe('TOTP enrolment and verification on the state database', () => {
  let state: Awaited<ReturnType<typeof freshStateDb>>
  const ids = () => state.users

  beforeAll(async () => {
    state = await freshStateDb()
  })
  afterAll(() => state.drop())

  async function enrol(userId: string, at = T0) {
    const begun = await beginTotpEnrolment(state.db, KEY, { userId, accountName: 'admin@test.local' })
    if (!begun.ok) throw new Error(begun.message)
    const confirmed = await confirmTotpEnrolment(state.db, KEY, { userId, code: codeAt(begun.secret, at), now: at })
    if (!confirmed.ok) throw new Error(confirmed.message)
    return { secret: begun.secret, recoveryCodes: confirmed.recoveryCodes, uri: begun.uri, qr: begun.qrDataUrl }
  }

  it('enrols: secret, otpauth URI and QR code; stored sealed; on only after a first right code', async () => {
    const userId = ids().admin.id
    const begun = await beginTotpEnrolment(state.db, KEY, { userId, accountName: 'admin@test.local' })
    if (!begun.ok) throw new Error(begun.message)
    expect(begun.secret).toMatch(/^[A-Z2-7]{32}$/)
    expect(begun.uri).toBe(`otpauth://totp/DoR%20DB%20Admin:admin%40test.local?issuer=DoR%20DB%20Admin&secret=${begun.secret}&algorithm=SHA1&digits=6&period=30`)
    expect(begun.qrDataUrl).toMatch(/^data:image\/png;base64,[A-Za-z0-9+/]+=*$/)
    const row = await state.db.selectFrom('user_totp').selectAll().where('user_id', '=', userId).executeTakeFirstOrThrow()
    expect(row.secret_sealed).not.toContain(begun.secret)
    expect(await twoFactorStatus(state.db, userId)).toEqual({ enrolled: false, pending: true, confirmedAt: null, recoveryCodesLeft: 0 })
    expect(await verifySecondFactor(state.db, KEY, { userId, code: codeAt(begun.secret, T0), now: T0 })).toMatchObject({ ok: false, code: 'not_enrolled' })

    const wrong = await confirmTotpEnrolment(state.db, KEY, { userId, code: wrongCode(begun.secret, T0), now: T0 })
    expect(wrong).toMatchObject({ ok: false, code: 'invalid_code' })
    const confirmed = await confirmTotpEnrolment(state.db, KEY, { userId, code: codeAt(begun.secret, T0), now: T0 })
    if (!confirmed.ok) throw new Error(confirmed.message)
    expect(confirmed.recoveryCodes).toHaveLength(10)
    const stored = await state.db.selectFrom('user_recovery_code').select('code_hash').where('user_id', '=', userId).execute()
    expect(stored.map((r) => r.code_hash).sort()).toEqual(confirmed.recoveryCodes.map(hashRecoveryCode).sort())
    expect(await twoFactorStatus(state.db, userId)).toMatchObject({ enrolled: true, pending: false, recoveryCodesLeft: 10 })
    expect(await beginTotpEnrolment(state.db, KEY, { userId, accountName: 'x' })).toMatchObject({ ok: false, code: 'already_enrolled' })
    expect(await confirmTotpEnrolment(state.db, KEY, { userId, code: '000000', now: T0 })).toMatchObject({ ok: false, code: 'already_enrolled' })
    await resetTwoFactor(state.db, userId)
  })

  it('accepts a code one step early or late, refuses two steps off and any reuse within the window', async () => {
    const userId = ids().operator.id
    const { secret } = await enrol(userId, T0)
    const at = T0 + 10 * STEP
    expect(await verifySecondFactor(state.db, KEY, { userId, code: codeAt(secret, at - 2 * STEP), now: at })).toMatchObject({ ok: false, code: 'invalid_code' })
    expect(await verifySecondFactor(state.db, KEY, { userId, code: codeAt(secret, at - STEP), now: at })).toMatchObject({ ok: true, method: 'totp' })
    // The code of the current step is newer: accepted. Then both are spent.
    const current = codeAt(secret, at)
    expect(await verifySecondFactor(state.db, KEY, { userId, code: current, now: at })).toMatchObject({ ok: true })
    expect(await verifySecondFactor(state.db, KEY, { userId, code: current, now: at + 5_000 })).toMatchObject({ ok: false, code: 'replayed' })
    expect(await verifySecondFactor(state.db, KEY, { userId, code: codeAt(secret, at - STEP), now: at })).toMatchObject({ ok: false, code: 'replayed' })
    // The code of the enrolment itself cannot be replayed either.
    const late = T0 + 100 * STEP
    expect(await verifySecondFactor(state.db, KEY, { userId, code: codeAt(secret, late + STEP), now: late })).toMatchObject({ ok: true })
    expect(await verifySecondFactor(state.db, KEY, { userId, code: codeAt(secret, late), now: late })).toMatchObject({ ok: false, code: 'replayed' })
    await resetTwoFactor(state.db, userId)
  })

  /**
   * Starts the attempts while another session holds the user's TOTP row, so that they all arrive
   * before any of them finishes, then lets them go.
   */
  async function racing<T>(userId: string, attempts: (() => Promise<T>)[]): Promise<T[]> {
    let started: Promise<T[]> | undefined
    await state.db.transaction().execute(async (trx) => {
      await trx.selectFrom('user_totp').select('user_id').where('user_id', '=', userId).forUpdate().execute()
      started = Promise.all(attempts.map((a) => a()))
      await new Promise((r) => setTimeout(r, 300))
    })
    return started!
  }

  it('lets one of several simultaneous uses of the same code through', async () => {
    const userId = ids().viewer.id
    const { secret } = await enrol(userId, T0)
    const at = T0 + 20 * STEP
    const code = codeAt(secret, at)
    const results = await racing(userId, Array.from({ length: 3 }, () => () => verifySecondFactor(state.db, KEY, { userId, code, now: at })))
    expect(results.filter((r) => r.ok)).toHaveLength(1)
    expect(results.filter((r) => !r.ok).map((r) => !r.ok && r.code)).toEqual(['replayed', 'replayed'])
    await resetTwoFactor(state.db, userId)
  })

  it('counts simultaneous wrong guesses one after the other', async () => {
    const userId = ids().viewer.id
    const { secret } = await enrol(userId, T0)
    const at = T0 + 30 * STEP
    for (let i = 0; i < TWO_FACTOR_LIMITS.maxFailures - 1; i++) {
      await verifySecondFactor(state.db, KEY, { userId, code: wrongCode(secret, at), now: at })
    }
    const results = await racing(userId, Array.from({ length: 3 }, () => () => verifySecondFactor(state.db, KEY, { userId, code: wrongCode(secret, at), now: at + 1 })))
    expect(results.map((r) => !r.ok && r.code).sort()).toEqual(['invalid_code', 'rate_limited', 'rate_limited'])
    await resetTwoFactor(state.db, userId)
  })

  it('rate limits a brute force: after five wrong codes even the right one is refused until the window passes', async () => {
    const userId = ids().admin.id
    const { secret } = await enrol(userId, T0)
    const at = T0 + 40 * STEP
    for (let i = 0; i < TWO_FACTOR_LIMITS.maxFailures; i++) {
      expect(await verifySecondFactor(state.db, KEY, { userId, code: wrongCode(secret, at), now: at + i })).toMatchObject({ ok: false, code: 'invalid_code' })
    }
    const limited = await verifySecondFactor(state.db, KEY, { userId, code: codeAt(secret, at), now: at + 10 })
    expect(limited).toMatchObject({ ok: false, code: 'rate_limited', message: 'Too many wrong codes. Try again in 15 minutes.' })
    expect(!limited.ok && limited.retryAfterSeconds).toBe(15 * 60)
    // In parallel too: every guess waits for the lock and sees the limit.
    const burst = await Promise.all(Array.from({ length: 10 }, (_, i) => verifySecondFactor(state.db, KEY, { userId, code: String(i).padStart(6, '0'), now: at + 20 })))
    expect(new Set(burst.map((r) => !r.ok && r.code))).toEqual(new Set(['rate_limited']))
    // Recovery codes are no way around the limit.
    const { recoveryCodes } = await regenerateRecoveryCodes(state.db, userId).then((r) => (r.ok ? r : { recoveryCodes: [] }))
    expect(await verifySecondFactor(state.db, KEY, { userId, code: recoveryCodes[0], now: at + 30 })).toMatchObject({ ok: false, code: 'rate_limited' })

    const later = at + TWO_FACTOR_LIMITS.windowMinutes * 60_000 + 1_000
    expect(await verifySecondFactor(state.db, KEY, { userId, code: codeAt(secret, later), now: later })).toMatchObject({ ok: true })
    expect(await state.db.selectFrom('two_factor_failure').selectAll().where('user_id', '=', userId).execute()).toEqual([])
    await resetTwoFactor(state.db, userId)
  })

  it('takes each recovery code once, and counts a wrong one as a failure', async () => {
    const userId = ids().operator.id
    const { recoveryCodes } = await enrol(userId, T0)
    const at = T0 + 60 * STEP
    const first = await verifySecondFactor(state.db, KEY, { userId, code: recoveryCodes[3].toUpperCase(), now: at })
    expect(first).toEqual({ ok: true, method: 'recovery_code', recoveryCodesLeft: 9 })
    expect(await verifySecondFactor(state.db, KEY, { userId, code: recoveryCodes[3], now: at + 1 })).toMatchObject({ ok: false, code: 'invalid_code' })
    expect(await verifySecondFactor(state.db, KEY, { userId, code: generateRecoveryCode(), now: at + 2 })).toMatchObject({ ok: false, code: 'invalid_code' })
    expect(await state.db.selectFrom('two_factor_failure').selectAll().where('user_id', '=', userId).execute()).toHaveLength(2)
    // Another user's code is not this user's.
    const other = await enrol(ids().viewer.id, T0)
    expect(await verifySecondFactor(state.db, KEY, { userId, code: other.recoveryCodes[0], now: at + 3 })).toMatchObject({ ok: false, code: 'invalid_code' })
    const renewed = await regenerateRecoveryCodes(state.db, userId)
    if (!renewed.ok) throw new Error(renewed.message)
    expect(await verifySecondFactor(state.db, KEY, { userId, code: recoveryCodes[0], now: at + 4 })).toMatchObject({ ok: false, code: 'invalid_code' })
    expect(await verifySecondFactor(state.db, KEY, { userId, code: renewed.recoveryCodes[0], now: at + 5 })).toMatchObject({ ok: true, recoveryCodesLeft: 9 })
    await resetTwoFactor(state.db, userId)
    await resetTwoFactor(state.db, ids().viewer.id)
  })

  it('says so when AUTH_SECRET changed, and still takes a recovery code', async () => {
    const userId = ids().admin.id
    const { secret, recoveryCodes } = await enrol(userId, T0)
    const otherKey = totpKey('z'.repeat(40))
    const at = T0 + 80 * STEP
    expect(await verifySecondFactor(state.db, otherKey, { userId, code: codeAt(secret, at), now: at })).toMatchObject({ ok: false, code: 'secret_unreadable' })
    expect(await verifySecondFactor(state.db, otherKey, { userId, code: recoveryCodes[0], now: at })).toMatchObject({ ok: true, method: 'recovery_code' })
  })

  it('resets: secret, codes and failures gone, enrolment possible again', async () => {
    const userId = ids().admin.id
    expect(await resetTwoFactor(state.db, userId)).toBe(true)
    expect(await resetTwoFactor(state.db, userId)).toBe(false)
    expect(await twoFactorStatus(state.db, userId)).toEqual({ enrolled: false, pending: false, confirmedAt: null, recoveryCodesLeft: 0 })
    expect(await state.db.selectFrom('user_recovery_code').selectAll().where('user_id', '=', userId).execute()).toEqual([])
    expect(await regenerateRecoveryCodes(state.db, userId)).toMatchObject({ ok: false, code: 'not_enrolled' })
    expect((await beginTotpEnrolment(state.db, KEY, { userId, accountName: 'a' })).ok).toBe(true)
  })
})
