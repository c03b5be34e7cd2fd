import { writeAudit } from '../audit/audit-log'
import { inTransaction } from '../db/in-transaction'
import { challengeMatchesPassword, readChallenge } from './login-challenge'
import { looksLikeRecoveryCode } from './recovery-codes'
import { type TwoFactorFailure, verifySecondFactor } from './totp'
import { type AppUser, type AppUserWithHash, findUserByIdWithHash, recordLogin } from './users'
import type { StateDb } from '../state/state-db'

function withoutHash({ passwordHash: _hash, ...user }: AppUserWithHash): AppUser {
  return user
}

export type SecondStepOutcome =
  | { ok: true; user: AppUser; method: 'totp' | 'recovery_code'; recoveryCodesLeft: number }
  | { ok: false; code: TwoFactorFailure | 'challenge_invalid'; message: string }

/** The message of a challenge that expired, was altered, or belongs to a changed account. */
export const CHALLENGE_INVALID_MESSAGE = 'This sign-in has expired. Enter your e-mail and password again.'

/**
 * The second step of a sign-in: the challenge the password step issued, and a code from the
 * authenticator app or a recovery code. Checked and recorded in one transaction with its audit
 * record (`auth.two_factor`, or `auth.recovery_code` when a recovery code was given): a sign-in whose
 * record cannot be written does not happen. Wrong codes, reused codes and anything past the rate
 * limit (TWO_FACTOR_LIMITS) are refused.
 */
export async function completeSecondFactor(
  db: StateDb,
  keys: { challenge: Buffer; totp: Buffer },
  input: { challenge: string; code: string; clientIp: string | null; now?: number },
): Promise<SecondStepOutcome> {
  const started = Date.now()
  const now = input.now ?? Date.now()
  const code = String(input.code ?? '').trim().slice(0, 64)
  const action = looksLikeRecoveryCode(code) ? 'auth.recovery_code' : 'auth.two_factor'
  const audit = (on: StateDb, user: AppUser | null, result: 'ok' | 'failed' | 'denied', auditCode: string, message: string) =>
    writeAudit(on, {
      actorId: user?.id ?? null,
      actorEmail: user?.email ?? null,
      action,
      target: user?.email.toLowerCase() ?? null,
      result,
      code: auditCode,
      message,
      durationMs: Date.now() - started,
      clientIp: input.clientIp,
    })

  const claims = readChallenge(keys.challenge, input.challenge, now)
  const found = claims ? await findUserByIdWithHash(db, claims.userId) : null
  const user = found ? withoutHash(found) : null
  if (!claims || !found || !user || user.disabled || user.sessionVersion !== claims.sessionVersion || !challengeMatchesPassword(claims, found.passwordHash)) {
    const why = !claims ? 'challenge expired or not valid' : !user ? 'unknown account' : user.disabled ? 'account disabled' : 'password or sessions changed since the challenge'
    await audit(db, user, 'denied', 'challenge_invalid', why)
    return { ok: false, code: 'challenge_invalid', message: CHALLENGE_INVALID_MESSAGE }
  }

  return inTransaction(db, async (trx) => {
    const checked = await verifySecondFactor(trx, keys.totp, { userId: user.id, code, now })
    if (!checked.ok) {
      await audit(trx, user, checked.code === 'rate_limited' ? 'denied' : 'failed', checked.code, checked.message)
      return { ok: false, code: checked.code, message: checked.message }
    }
    await recordLogin(trx, user.id)
    await audit(
      trx,
      user,
      'ok',
      'ok',
      checked.method === 'totp'
        ? 'signed in with a code from the authenticator app'
        : `signed in with a recovery code; ${checked.recoveryCodesLeft} left`,
    )
    return { ok: true, user, method: checked.method, recoveryCodesLeft: checked.recoveryCodesLeft }
  })
}
