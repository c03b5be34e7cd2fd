import { sql } from 'kysely'
import { Secret, TOTP } from 'otpauth'
import QRCode from 'qrcode'
import { inTransaction } from '../db/in-transaction'
import { consumeRecoveryCode, looksLikeRecoveryCode, recoveryCodesLeft, replaceRecoveryCodes } from './recovery-codes'
import { derivedKey, open, seal } from './secret-box'
import type { StateDb } from '../state/state-db'

/** RFC 6238 as every authenticator app does it: SHA-1, 6 digits, 30-second steps. */
export const TOTP_SETTINGS = { algorithm: 'SHA1', digits: 6, period: 30, secretBytes: 20 } as const

/**
 * Codes one step before or after the current one are accepted (clock drift, typing time); failed
 * attempts per user within the window: after `maxFailures` every code is refused, right or wrong,
 * until the oldest counted failure leaves the window. Six digits at 5 tries per 15 minutes take
 * years to guess.
 */
export const TWO_FACTOR_LIMITS = { window: 1, maxFailures: 5, windowMinutes: 15 } as const

export const DEFAULT_ISSUER = 'DoR DB Admin'

/** The key that seals TOTP secrets in the state database, derived from AUTH_SECRET. */
export function totpKey(authSecret: string): Buffer {
  return derivedKey(authSecret, 'totp-secret-v1')
}

export type TwoFactorFailure = 'not_enrolled' | 'not_pending' | 'already_enrolled' | 'invalid_code' | 'replayed' | 'rate_limited' | 'secret_unreadable'

export type TwoFactorOutcome<T = object> =
  | ({ ok: true } & T)
  | { ok: false; code: TwoFactorFailure; message: string; retryAfterSeconds?: number }

const MESSAGES: Record<TwoFactorFailure, string> = {
  not_enrolled: 'Two-factor sign-in is not set up for this account.',
  not_pending: 'There is no two-factor enrolment waiting for a code; start again.',
  already_enrolled: 'Two-factor sign-in is already set up; reset it first to enrol again.',
  invalid_code: 'That code is not right.',
  replayed: 'That code was already used. Wait for the next one.',
  rate_limited: 'Too many wrong codes.',
  secret_unreadable:
    'The two-factor secret cannot be read with the current AUTH_SECRET. Use a recovery code, or ask an admin to reset two-factor sign-in.',
}

function fail(code: TwoFactorFailure, retryAfterSeconds?: number): { ok: false; code: TwoFactorFailure; message: string; retryAfterSeconds?: number } {
  if (code === 'rate_limited' && retryAfterSeconds !== undefined) {
    const minutes = Math.max(1, Math.ceil(retryAfterSeconds / 60))
    return { ok: false, code, message: `${MESSAGES[code]} Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`, retryAfterSeconds }
  }
  return { ok: false, code, message: MESSAGES[code] }
}

interface Clock {
  /** The time of the attempt (ms since the epoch); tests move it. */
  now?: number
}

function totpFor(secretBase32: string, label = 'user', issuer = DEFAULT_ISSUER): TOTP {
  return new TOTP({
    issuer,
    label,
    algorithm: TOTP_SETTINGS.algorithm,
    digits: TOTP_SETTINGS.digits,
    period: TOTP_SETTINGS.period,
    secret: Secret.fromBase32(secretBase32),
  })
}

export interface Enrolment {
  /** Base32, for typing into an app that cannot scan. */
  secret: string
  /** otpauth://totp/… */
  uri: string
  /** The URI as a QR code, a PNG data URL for an <img>. */
  qrDataUrl: string
}

/**
 * Starts (or restarts) an enrolment: a new secret, stored sealed and unconfirmed until
 * confirmTotpEnrolment sees a code from it. Refused while a confirmed enrolment exists.
 */
export async function beginTotpEnrolment(
  db: StateDb,
  key: Buffer,
  input: { userId: string; accountName: string; issuer?: string },
): Promise<TwoFactorOutcome<Enrolment>> {
  const secret = new Secret({ size: TOTP_SETTINGS.secretBytes }).base32
  const sealed = seal(key, secret, input.userId)
  const stored = await db
    .insertInto('user_totp')
    .values({ user_id: input.userId, secret_sealed: sealed })
    .onConflict((oc) =>
      oc
        .column('user_id')
        .doUpdateSet({ secret_sealed: sealed, last_used_step: null, created_at: sql`now()`, updated_at: sql`now()` })
        .where('user_totp.confirmed_at', 'is', null),
    )
    .returning('user_id')
    .executeTakeFirst()
  if (!stored) return fail('already_enrolled')
  const uri = totpFor(secret, input.accountName, input.issuer).toString()
  const qrDataUrl = await QRCode.toDataURL(uri, { errorCorrectionLevel: 'M', margin: 2, width: 240 })
  return { ok: true, secret, uri, qrDataUrl }
}

/** Seconds until the user may try again, or 0. Counts failures at or before `now` within the window. */
async function lockedFor(trx: StateDb, userId: string, now: number): Promise<number> {
  const since = new Date(now - TWO_FACTOR_LIMITS.windowMinutes * 60_000)
  const rows = await trx
    .selectFrom('two_factor_failure')
    .select('at')
    .where('user_id', '=', userId)
    .where('at', '>', since)
    .where('at', '<=', new Date(now))
    .orderBy('at', 'desc')
    .limit(TWO_FACTOR_LIMITS.maxFailures)
    .execute()
  if (rows.length < TWO_FACTOR_LIMITS.maxFailures) return 0
  const oldest = new Date(rows[rows.length - 1].at).getTime()
  return Math.max(1, Math.ceil((oldest + TWO_FACTOR_LIMITS.windowMinutes * 60_000 - now) / 1000))
}

async function recordFailure(trx: StateDb, userId: string, now: number): Promise<void> {
  await trx.insertInto('two_factor_failure').values({ user_id: userId, at: new Date(now) }).execute()
}

/** The time step a code belongs to, if it is valid now within the window. */
function matchingStep(secretBase32: string, code: string, now: number): number | null {
  if (!/^\d{6}$/.test(code)) return null
  const delta = totpFor(secretBase32).validate({ token: code, timestamp: now, window: TWO_FACTOR_LIMITS.window })
  if (delta === null) return null
  return TOTP.counter({ period: TOTP_SETTINGS.period, timestamp: now }) + delta
}

/**
 * One attempt, serialised per user by locking their TOTP row: parallel guesses queue behind each
 * other and each sees the failures before it, and one code cannot pass twice in a race.
 */
async function attempt<T>(
  db: StateDb,
  userId: string,
  now: number,
  wantConfirmed: boolean,
  check: (trx: StateDb, row: { secret_sealed: string; last_used_step: number | null }) => Promise<TwoFactorOutcome<T>>,
): Promise<TwoFactorOutcome<T>> {
  return inTransaction(db, async (trx) => {
    const row = await trx.selectFrom('user_totp').selectAll().where('user_id', '=', userId).forUpdate().executeTakeFirst()
    if (!row || (row.confirmed_at !== null) !== wantConfirmed) {
      return fail(wantConfirmed ? 'not_enrolled' : row ? 'already_enrolled' : 'not_pending')
    }
    const wait = await lockedFor(trx, userId, now)
    if (wait > 0) return fail('rate_limited', wait)
    const outcome = await check(trx, { secret_sealed: row.secret_sealed, last_used_step: row.last_used_step === null ? null : Number(row.last_used_step) })
    // A failure must stay recorded, so the transaction commits whatever the outcome.
    if (!outcome.ok && outcome.code !== 'secret_unreadable') await recordFailure(trx, userId, now)
    else if (outcome.ok) await trx.deleteFrom('two_factor_failure').where('user_id', '=', userId).execute()
    return outcome
  })
}

function checkTotp(key: Buffer, userId: string, code: string, now: number) {
  return async (trx: StateDb, row: { secret_sealed: string; last_used_step: number | null }): Promise<TwoFactorOutcome<{ step: number }>> => {
    const secret = open(key, row.secret_sealed, userId)
    if (secret === null) return fail('secret_unreadable')
    const step = matchingStep(secret, code.replace(/\s/g, ''), now)
    if (step === null) return fail('invalid_code')
    if (row.last_used_step !== null && step <= row.last_used_step) return fail('replayed')
    // Compare-and-set as well as the row lock: a step is spent once, however the callers race.
    const spent = await trx
      .updateTable('user_totp')
      .set({ last_used_step: step, updated_at: sql`now()` })
      .where('user_id', '=', userId)
      .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', step)]))
      .executeTakeFirst()
    if (Number(spent.numUpdatedRows) !== 1) return fail('replayed')
    return { ok: true, step }
  }
}

/**
 * Confirms a pending enrolment with a code from the app; on success two-factor is on and the
 * recovery codes are returned, in plain text this once.
 */
export async function confirmTotpEnrolment(
  db: StateDb,
  key: Buffer,
  input: { userId: string; code: string } & Clock,
): Promise<TwoFactorOutcome<{ recoveryCodes: string[] }>> {
  const now = input.now ?? Date.now()
  const totp = checkTotp(key, input.userId, input.code, now)
  return attempt(db, input.userId, now, false, async (trx, row) => {
    const checked = await totp(trx, row)
    if (!checked.ok) return checked
    await trx.updateTable('user_totp').set({ confirmed_at: new Date(now) }).where('user_id', '=', input.userId).execute()
    return { ok: true, recoveryCodes: await replaceRecoveryCodes(trx, input.userId) }
  })
}

/**
 * The second step of a sign-in: a 6-digit code from the app, or one of the recovery codes (each
 * works once). Wrong codes, reused codes and anything beyond the rate limit are refused.
 */
export async function verifySecondFactor(
  db: StateDb,
  key: Buffer,
  input: { userId: string; code: string } & Clock,
): Promise<TwoFactorOutcome<{ method: 'totp' | 'recovery_code'; recoveryCodesLeft: number }>> {
  const now = input.now ?? Date.now()
  const code = input.code.trim()
  const totp = checkTotp(key, input.userId, code, now)
  return attempt(db, input.userId, now, true, async (trx, row) => {
    if (looksLikeRecoveryCode(code)) {
      if (!(await consumeRecoveryCode(trx, input.userId, code, new Date(now)))) return fail('invalid_code')
      return { ok: true, method: 'recovery_code' as const, recoveryCodesLeft: await recoveryCodesLeft(trx, input.userId) }
    }
    const checked = await totp(trx, row)
    if (!checked.ok) return checked
    return { ok: true, method: 'totp' as const, recoveryCodesLeft: await recoveryCodesLeft(trx, input.userId) }
  })
}

/** New recovery codes for an enrolled user; the old ones stop working. */
export async function regenerateRecoveryCodes(db: StateDb, userId: string): Promise<TwoFactorOutcome<{ recoveryCodes: string[] }>> {
  return inTransaction(db, async (trx) => {
    const row = await trx.selectFrom('user_totp').select('confirmed_at').where('user_id', '=', userId).forUpdate().executeTakeFirst()
    if (!row?.confirmed_at) return fail('not_enrolled')
    return { ok: true, recoveryCodes: await replaceRecoveryCodes(trx, userId) }
  })
}

/** Turns two-factor off for a user (their own choice, or an admin's reset): secret, codes and failures go. */
export async function resetTwoFactor(db: StateDb, userId: string): Promise<boolean> {
  return inTransaction(db, async (trx) => {
    const removed = await trx.deleteFrom('user_totp').where('user_id', '=', userId).executeTakeFirst()
    await trx.deleteFrom('user_recovery_code').where('user_id', '=', userId).execute()
    await trx.deleteFrom('two_factor_failure').where('user_id', '=', userId).execute()
    return Number(removed.numDeletedRows) > 0
  })
}

export interface TwoFactorStatus {
  enrolled: boolean
  /** An enrolment was started and waits for its first code. */
  pending: boolean
  confirmedAt: Date | null
  recoveryCodesLeft: number
}

export async function twoFactorStatus(db: StateDb, userId: string): Promise<TwoFactorStatus> {
  const row = await db.selectFrom('user_totp').select('confirmed_at').where('user_id', '=', userId).executeTakeFirst()
  return {
    enrolled: !!row?.confirmed_at,
    pending: !!row && !row.confirmed_at,
    confirmedAt: row?.confirmed_at ?? null,
    recoveryCodesLeft: row?.confirmed_at ? await recoveryCodesLeft(db, userId) : 0,
  }
}

/** True when the user has a confirmed enrolment: their password alone no longer signs them in. */
export async function hasTwoFactor(db: StateDb, userId: string): Promise<boolean> {
  const row = await db.selectFrom('user_totp').select('user_id').where('user_id', '=', userId).where('confirmed_at', 'is not', null).executeTakeFirst()
  return !!row
}

/** Users with two-factor sign-in on (confirmed), for the Users page. */
export async function usersWithTwoFactor(db: StateDb): Promise<Set<string>> {
  const rows = await db.selectFrom('user_totp').select('user_id').where('confirmed_at', 'is not', null).execute()
  return new Set(rows.map((r) => String(r.user_id)))
}
