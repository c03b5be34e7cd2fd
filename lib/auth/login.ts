import { sql } from 'kysely'
import { writeAudit } from '../audit/audit-log'
import { inTransaction } from '../db/in-transaction'
import { issueChallenge, SECOND_FACTOR_MESSAGE } from './login-challenge'
import { dummyPasswordHash, verifyPassword } from './passwords'
import { hasTwoFactor } from './totp'
import { type AppUser, findUserByEmailWithHash, recordLogin } from './users'
import type { StateDb } from '../state/state-db'

/**
 * Login throttling. An address with `perAddress` failures within the window is refused until the
 * oldest leaves it. An account with `perAccount` failures (since its last sign-in, within the window)
 * is slowed down, not locked: each further failure doubles the wait before the next try, from
 * `firstDelaySeconds` up to `maxDelaySeconds`, and the wait applies only to addresses that have
 * failed on that account. So nobody can keep an account (the admin's) locked by failing on purpose:
 * its owner, from an address that has not failed, still signs in with the right password.
 */
export interface LoginLimits {
  windowMinutes: number
  perAccount: number
  perAddress: number
  firstDelaySeconds: number
  maxDelaySeconds: number
}

export const LOGIN_LIMITS: LoginLimits = { windowMinutes: 15, perAccount: 5, perAddress: 20, firstDelaySeconds: 15, maxDelaySeconds: 900 }

export const GENERIC_LOGIN_ERROR = 'Wrong e-mail or password.'

/**
 * `ok` means a session may be created. An account with two-factor sign-in never gets `ok` from its
 * password alone: it gets `second_factor_required` with a short-lived signed challenge, which the
 * second step (two-factor-login.ts) takes together with a code.
 */
export type LoginOutcome =
  | { ok: true; user: AppUser }
  | { ok: false; code: 'invalid_credentials' | 'rate_limited'; message: string }
  | { ok: false; code: 'second_factor_required'; message: string; challenge: string | null; user: AppUser }

const recentFailures = (db: StateDb, limits: LoginLimits) =>
  db
    .selectFrom('audit_log')
    .where('action', '=', 'auth.login')
    .where('result', '=', 'failed')
    .where('at', '>', sql<Date>`now() - make_interval(mins => ${limits.windowMinutes})`)

/** Seconds until the address may try again (its `perAddress`-th newest failure leaves the window), or 0. */
async function addressWait(db: StateDb, clientIp: string, limits: LoginLimits): Promise<number> {
  const row = await recentFailures(db, limits)
    .select(sql<number | null>`extract(epoch from (array_agg(at order by at desc))[${limits.perAddress}] - now())`.as('kth'))
    .where('client_ip', '=', clientIp)
    .executeTakeFirst()
  if (row?.kth === null || row?.kth === undefined) return 0
  return Math.max(1, Math.ceil(Number(row.kth) + limits.windowMinutes * 60))
}

/** The wait before an account's next try (0 when not slowed down) and whether this address failed on it. */
async function accountWait(
  db: StateDb,
  email: string,
  clientIp: string | null,
  limits: LoginLimits,
): Promise<{ seconds: number; addressFailed: boolean }> {
  const account = email.toLowerCase()
  const row = await recentFailures(db, limits)
    .select([
      sql<string>`count(*)`.as('failures'),
      sql<number | null>`extract(epoch from now() - max(at))`.as('since_last'),
      sql<boolean | null>`bool_or(client_ip is not distinct from ${clientIp})`.as('address_failed'),
    ])
    .where(sql`lower(target)`, '=', account)
    // A successful sign-in clears the account's earlier failures (not the address's).
    .where(
      'at',
      '>',
      sql<Date>`coalesce((select max(ok.at) from audit_log ok
        where ok.action = 'auth.login' and ok.result = 'ok' and lower(ok.target) = ${account}), '-infinity')`,
    )
    .executeTakeFirstOrThrow()
  const failures = Number(row.failures)
  // Without a known address every try counts as coming from a failing one.
  const addressFailed = clientIp === null ? failures > 0 : row.address_failed === true
  if (failures < limits.perAccount || row.since_last === null) return { seconds: 0, addressFailed }
  const delay = Math.min(limits.firstDelaySeconds * 2 ** (failures - limits.perAccount), limits.maxDelaySeconds)
  return { seconds: Math.max(0, Math.ceil(delay - Number(row.since_last))), addressFailed }
}

function waitText(seconds: number): string {
  if (seconds < 120) return `${seconds} second${seconds === 1 ? '' : 's'}`
  const minutes = Math.ceil(seconds / 60)
  return `${minutes} minutes`
}

/**
 * Checks a login and records it in the audit log. A wrong password, an unknown account and a
 * disabled account all get the same message and take the same time.
 */
export async function attemptLogin(
  db: StateDb,
  input: {
    email: string
    password: string
    clientIp: string | null
    /** Signs the challenge of the second step (loginChallengeKey); without it no challenge is issued. */
    challengeKey?: Buffer
    now?: number
  },
  limits: LoginLimits = LOGIN_LIMITS,
): Promise<LoginOutcome> {
  const started = Date.now()
  const email = input.email.trim().slice(0, 320)
  const writeAuditAs = (on: StateDb, result: 'ok' | 'failed' | 'denied', code: string, message: string, user?: AppUser) =>
    writeAudit(on, {
      actorId: user?.id ?? null,
      actorEmail: user?.email ?? null,
      action: 'auth.login',
      target: email.toLowerCase(),
      result,
      code,
      message,
      durationMs: Date.now() - started,
      clientIp: input.clientIp,
    })
  const audit = (result: 'ok' | 'failed' | 'denied', code: string, message: string, user?: AppUser) => writeAuditAs(db, result, code, message, user)

  const [byAddress, byAccount] = await Promise.all([
    input.clientIp ? addressWait(db, input.clientIp, limits) : 0,
    accountWait(db, email, input.clientIp, limits),
  ])
  const wait = Math.max(byAddress, byAccount.addressFailed ? byAccount.seconds : 0)
  if (wait > 0) {
    const message = `Too many failed logins. Try again in ${waitText(wait)}.`
    await audit('denied', 'rate_limited', message)
    return { ok: false, code: 'rate_limited', message }
  }

  const user = await findUserByEmailWithHash(db, email)
  const passwordOk = await verifyPassword(user?.passwordHash ?? (await dummyPasswordHash()), input.password)
  if (!user || !passwordOk || user.disabled) {
    const why = !user ? 'unknown account' : !passwordOk ? 'wrong password' : 'account disabled'
    await audit('failed', 'invalid_credentials', why)
    return { ok: false, code: 'invalid_credentials', message: GENERIC_LOGIN_ERROR }
  }
  const { passwordHash, ...safeUser } = user
  if (await hasTwoFactor(db, user.id)) {
    await audit('ok', 'second_factor_required', 'password accepted; waiting for the second factor', safeUser)
    const challenge = input.challengeKey ? issueChallenge(input.challengeKey, { ...safeUser, passwordHash }, input.now) : null
    return { ok: false, code: 'second_factor_required', message: SECOND_FACTOR_MESSAGE, challenge, user: safeUser }
  }
  // One transaction: no sign-in is recorded, and no session made, without its audit record.
  await inTransaction(db, async (trx) => {
    await recordLogin(trx, user.id)
    await writeAuditAs(trx, 'ok', 'ok', 'signed in', safeUser)
  })
  return { ok: true, user: safeUser }
}
