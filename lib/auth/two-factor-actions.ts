import { z } from 'zod'
import { ActionError } from './action-result'
import type { GuardedSpec } from './guarded-run'
import { beginTotpEnrolment, confirmTotpEnrolment, type Enrolment, regenerateRecoveryCodes, resetTwoFactor, twoFactorStatus, verifySecondFactor } from './totp'
import { adminTwoFactorRequired, setAdminTwoFactorRequired } from './two-factor-policy'
import { findUserById } from './users'

/**
 * Two-factor sign-in as guarded specs: one's own enrolment, turning it off and new recovery codes
 * (each with a current code), and for admins the reset of another user's and the rule that admins
 * must use it. Each runs in one state transaction with its audit record. The code field is named
 * `token` so that the audit log redacts it.
 */
const Token = z.object({ token: z.string().trim().min(1, { message: 'enter the code' }).max(64, { message: 'is too long' }) })
const Nothing = z.object({})
const UserId = z.object({ userId: z.uuid({ message: 'is not a user id' }) })
const Required = z.object({
  required: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')], { message: 'must be true or false' }),
})

function refuse(outcome: { code: string; message: string }): never {
  throw new ActionError(outcome.code, outcome.message, { token: outcome.message })
}

export function twoFactorSpecs(key: () => Buffer, issuer?: string) {
  const begin: GuardedSpec<typeof Nothing, Enrolment> = {
    name: 'account.two_factor.begin',
    permission: 'account.two_factor',
    input: Nothing,
    stateTransaction: true,
    beforeTwoFactor: true,
    async run(ctx) {
      const started = await beginTotpEnrolment(ctx.stateDb, key(), { userId: ctx.user.id, accountName: ctx.user.email, issuer })
      if (!started.ok) throw new ActionError(started.code, started.message)
      const { ok: _ok, ...enrolment } = started
      return { message: 'Two-factor enrolment started: scan the code and enter the code the app shows.', data: enrolment, target: ctx.user.email }
    },
  }

  const confirm: GuardedSpec<typeof Token, { recoveryCodes: string[] }> = {
    name: 'account.two_factor.enrol',
    permission: 'account.two_factor',
    input: Token,
    stateTransaction: true,
    beforeTwoFactor: true,
    async run(ctx, input) {
      const done = await confirmTotpEnrolment(ctx.stateDb, key(), { userId: ctx.user.id, code: input.token })
      if (!done.ok) refuse(done)
      return {
        message: 'Two-factor sign-in is on. Keep the recovery codes somewhere safe: they are shown this once.',
        data: { recoveryCodes: done.recoveryCodes },
        target: ctx.user.email,
      }
    },
  }

  const disable: GuardedSpec<typeof Token, undefined> = {
    name: 'account.two_factor.disable',
    permission: 'account.two_factor',
    input: Token,
    stateTransaction: true,
    async run(ctx, input) {
      if (ctx.user.role === 'admin' && (await adminTwoFactorRequired(ctx.stateDb))) {
        throw new ActionError('two_factor_required', 'Admins must use two-factor sign-in: it cannot be turned off while that rule is on.')
      }
      const checked = await verifySecondFactor(ctx.stateDb, key(), { userId: ctx.user.id, code: input.token })
      if (!checked.ok) refuse(checked)
      await resetTwoFactor(ctx.stateDb, ctx.user.id)
      return { message: 'Two-factor sign-in is off: your password alone signs you in.', target: ctx.user.email }
    },
  }

  const recoveryCodes: GuardedSpec<typeof Token, { recoveryCodes: string[] }> = {
    name: 'account.two_factor.recovery_codes',
    permission: 'account.two_factor',
    input: Token,
    stateTransaction: true,
    async run(ctx, input) {
      const checked = await verifySecondFactor(ctx.stateDb, key(), { userId: ctx.user.id, code: input.token })
      if (!checked.ok) refuse(checked)
      const fresh = await regenerateRecoveryCodes(ctx.stateDb, ctx.user.id)
      if (!fresh.ok) throw new ActionError(fresh.code, fresh.message)
      return { message: 'New recovery codes: the old ones no longer work. They are shown this once.', data: { recoveryCodes: fresh.recoveryCodes }, target: ctx.user.email }
    },
  }

  const resetOther: GuardedSpec<typeof UserId, undefined> = {
    name: 'users.reset_two_factor',
    permission: 'users.manage',
    input: UserId,
    target: (i) => i.userId,
    stateTransaction: true,
    async run(ctx, input) {
      if (input.userId === ctx.user.id) {
        throw new ActionError('own_account', 'Turn off your own two-factor sign-in on your account page (it asks for a code).')
      }
      const user = await findUserById(ctx.stateDb, input.userId)
      if (!user) throw new ActionError('not_found', 'No such user.')
      const removed = await resetTwoFactor(ctx.stateDb, user.id)
      return {
        message: removed ? `Two-factor sign-in of ${user.email} was reset: they sign in with their password and may enrol again.` : `${user.email} had no two-factor sign-in.`,
        target: user.email,
      }
    },
  }

  const requireForAdmins: GuardedSpec<typeof Required, undefined> = {
    name: 'users.require_admin_two_factor',
    permission: 'users.manage',
    input: Required,
    target: () => 'admins',
    stateTransaction: true,
    async run(ctx, input) {
      if (input.required && !(await twoFactorStatus(ctx.stateDb, ctx.user.id)).enrolled) {
        throw new ActionError('two_factor_required', 'Set up two-factor sign-in for yourself first (your account page), then require it of every admin.')
      }
      await setAdminTwoFactorRequired(ctx.stateDb, input.required, ctx.user.email)
      return {
        message: input.required
          ? 'Admins must now use two-factor sign-in: those without it are sent to set it up before anything else.'
          : 'Two-factor sign-in is no longer required of admins.',
      }
    },
  }

  return { begin, confirm, disable, recoveryCodes, resetOther, requireForAdmins }
}
