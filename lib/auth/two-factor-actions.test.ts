import { Secret, TOTP } from 'otpauth'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { freshStateDb } from '../../test/state-db'
import { listAudit } from '../audit/audit-log'
import type { ActionResult } from './action-result'
import { type GuardedSpec, runGuarded } from './guarded-run'
import { ROLES, type Role } from './permissions'
import { twoFactorStatus, totpKey } from './totp'
import { twoFactorSpecs } from './two-factor-actions'
import { adminTwoFactorRequired, mustEnrolFirst } from './two-factor-policy'
import { createUser } from './users'

const KEY = totpKey('k'.repeat(40))
const specs = twoFactorSpecs(() => KEY)
const STEP = 30_000
const codeAt = (secret: string, at = Date.now()) =>
  TOTP.generate({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30, timestamp: at })

let state: Awaited<ReturnType<typeof freshStateDb>>
beforeAll(async () => {
  state = await freshStateDb()
})
afterAll(() => state?.drop())

function as<T>(who: { id: string }, spec: GuardedSpec<any, T>, input: unknown = {}): Promise<ActionResult<T>> {
  return runGuarded(spec, { stateDb: state.db, session: { userId: who.id, sessionVersion: 1 }, clientIp: '192.0.2.40', rawInput: input })
}

const user = (role: Role) => state.users[role]

/** A user of its own, enrolled through the actions, with its secret and recovery codes. */
async function enrolledUser(name: string, role: Role) {
  const u = await createUser(state.db, { email: `${name}@2fa-actions.test`, role, password: `${name}-password-12` })
  const begun = await as(u, specs.begin)
  if (!begun.ok) throw new Error(begun.message)
  const secret = begun.data!.secret
  // The enrolment spends the current step: later checks use the next one.
  const confirmed = await as(u, specs.confirm, { token: codeAt(secret, Date.now() - STEP) })
  if (!confirmed.ok) throw new Error(confirmed.message)
  return { ...u, secret, recoveryCodes: confirmed.data!.recoveryCodes }
}

describe('one’s own two-factor sign-in, as every role', () => {
  for (const role of ROLES) {
    it(`${role}: enrols with a code from the app, gets recovery codes once, makes new ones and turns it off with a code`, async () => {
      const u = await createUser(state.db, { email: `own-${role}@2fa-actions.test`, role, password: `own-${role}-password-1` })
      const begun = await as(u, specs.begin)
      expect(begun).toMatchObject({ ok: true, data: { secret: expect.stringMatching(/^[A-Z2-7]{32}$/), qrDataUrl: expect.stringMatching(/^data:image\/png;base64,/) } })
      const secret = begun.ok ? begun.data!.secret : ''
      expect(begun.ok && begun.data!.uri).toContain(encodeURIComponent(u.email))

      const wrong = await as(u, specs.confirm, { token: '000000' === codeAt(secret) ? '111111' : '000000' })
      expect(wrong).toMatchObject({ ok: false, code: 'invalid_code', fieldErrors: { token: 'That code is not right.' } })
      expect((await twoFactorStatus(state.db, u.id)).enrolled).toBe(false)

      const confirmed = await as(u, specs.confirm, { token: codeAt(secret, Date.now() - STEP) })
      expect(confirmed).toMatchObject({ ok: true })
      const codes = confirmed.ok ? confirmed.data!.recoveryCodes : []
      expect(codes).toHaveLength(10)
      expect(await twoFactorStatus(state.db, u.id)).toMatchObject({ enrolled: true, recoveryCodesLeft: 10 })
      // The codes went back in the result only: the audit log has neither them nor the typed code.
      const audit = await listAudit(state.db, { action: 'account.two_factor.enrol', actor: u.email })
      expect(audit.map((a) => a.result)).toEqual(['ok', 'failed'])
      expect(JSON.stringify(audit)).not.toContain(codes[0])
      expect(audit[0].input).toEqual({ token: '[redacted]' })

      const current = codeAt(secret)
      const again = await as(u, specs.recoveryCodes, { token: current })
      expect(again).toMatchObject({ ok: true })
      const fresh = again.ok ? again.data!.recoveryCodes : []
      expect(fresh).toHaveLength(10)
      expect(fresh).not.toContain(codes[0])

      // A reused code does not turn it off; a recovery code from the new set does.
      expect(await as(u, specs.disable, { token: current })).toMatchObject({ ok: false, code: 'replayed' })
      expect(await as(u, specs.disable, { token: codes[0] })).toMatchObject({ ok: false, code: 'invalid_code' })
      expect(await as(u, specs.disable, { token: fresh[0] })).toMatchObject({ ok: true })
      expect((await twoFactorStatus(state.db, u.id)).enrolled).toBe(false)
      expect((await listAudit(state.db, { action: 'account.two_factor.disable', actor: u.email, limit: 1 }))[0]).toMatchObject({
        result: 'ok',
        target: u.email,
        clientIp: '192.0.2.40',
      })
    })
  }

  it('refuses an empty code with the field named', async () => {
    expect(await as(user('viewer'), specs.confirm, { token: ' ' })).toMatchObject({ ok: false, code: 'invalid_input', fieldErrors: { token: 'enter the code' } })
  })
})

describe('admins: resetting another user’s two-factor sign-in', () => {
  it('only an admin may, audited with the user; nobody resets their own this way', async () => {
    const target = await enrolledUser('reset-me', 'viewer')
    for (const role of ['operator', 'viewer'] as const) {
      expect(await as(user(role), specs.resetOther, { userId: target.id })).toMatchObject({ ok: false, code: 'forbidden' })
    }
    expect((await twoFactorStatus(state.db, target.id)).enrolled).toBe(true)
    const admin = await enrolledUser('resetting-admin', 'admin')
    expect(await as(admin, specs.resetOther, { userId: admin.id })).toMatchObject({ ok: false, code: 'own_account' })
    expect(await as(admin, specs.resetOther, { userId: target.id })).toMatchObject({ ok: true })
    expect((await twoFactorStatus(state.db, target.id)).enrolled).toBe(false)
    expect((await listAudit(state.db, { action: 'users.reset_two_factor', result: 'ok', limit: 1 }))[0]).toMatchObject({
      actorEmail: admin.email,
      target: target.email,
    })
    expect(await as(admin, specs.resetOther, { userId: 'nope' })).toMatchObject({ ok: false, code: 'invalid_input' })
  })
})

describe('admins: requiring two-factor sign-in of every admin', () => {
  const Noop = z.object({})
  const otherAction: GuardedSpec<typeof Noop, undefined> = {
    name: 'test.other',
    permission: 'dashboard.read',
    input: Noop,
    async run() {
      return { message: 'ran' }
    },
  }

  it('only an enrolled admin may turn it on; then admins without it may do nothing but enrol', async () => {
    for (const role of ['operator', 'viewer'] as const) {
      expect(await as(user(role), specs.requireForAdmins, { required: 'true' })).toMatchObject({ ok: false, code: 'forbidden' })
    }
    const bare = await createUser(state.db, { email: 'bare-admin@2fa-actions.test', role: 'admin', password: 'bare-admin-password' })
    expect(await as(bare, specs.requireForAdmins, { required: 'true' })).toMatchObject({ ok: false, code: 'two_factor_required' })
    expect(await adminTwoFactorRequired(state.db)).toBe(false)

    const enrolled = await enrolledUser('requiring-admin', 'admin')
    try {
      expect(await as(enrolled, specs.requireForAdmins, { required: 'true' })).toMatchObject({ ok: true })
      expect(await adminTwoFactorRequired(state.db)).toBe(true)
      expect(await mustEnrolFirst(state.db, bare)).toBe(true)
      expect(await mustEnrolFirst(state.db, enrolled)).toBe(false)
      expect(await mustEnrolFirst(state.db, { id: user('operator').id, role: 'operator' })).toBe(false)

      expect(await as(bare, otherAction)).toMatchObject({ ok: false, code: 'two_factor_required' })
      expect((await listAudit(state.db, { action: 'test.other', limit: 1 }))[0]).toMatchObject({ result: 'denied', code: 'two_factor_required', actorEmail: bare.email })
      expect(await as(user('operator'), otherAction)).toMatchObject({ ok: true })
      expect(await as(enrolled, otherAction)).toMatchObject({ ok: true })
      // An admin under the rule cannot turn their own off.
      expect(await as(enrolled, specs.disable, { token: enrolled.recoveryCodes[0] })).toMatchObject({ ok: false, code: 'two_factor_required' })
      // The enrolment itself is allowed, and lifts the block.
      const begun = await as(bare, specs.begin)
      expect(begun).toMatchObject({ ok: true })
      expect(await as(bare, specs.confirm, { token: codeAt(begun.ok ? begun.data!.secret : '') })).toMatchObject({ ok: true })
      expect(await as(bare, otherAction)).toMatchObject({ ok: true })
    } finally {
      expect(await as(enrolled, specs.requireForAdmins, { required: false })).toMatchObject({ ok: true })
    }
    expect(await adminTwoFactorRequired(state.db)).toBe(false)
    expect((await listAudit(state.db, { action: 'users.require_admin_two_factor', result: 'ok' })).length).toBe(2)
  })
})
