import { type Kysely, sql } from 'kysely'
import { writeAudit } from '../audit/audit-log'
import { dummyPasswordHash, verifyPassword } from './passwords'
import { type AppUser, findUserByEmailWithHash, recordLogin } from './users'

/** Failed logins allowed within the window, per account and per client address. */
export const LOGIN_LIMITS = { windowMinutes: 15, perAccount: 5, perAddress: 20 } as const

export const GENERIC_LOGIN_ERROR = 'Wrong e-mail or password.'

export type LoginOutcome =
  | { ok: true; user: AppUser }
  | { ok: false; code: 'invalid_credentials' | 'rate_limited'; message: string }

/** Minutes until the given key may try again, or 0 when it is not limited. */
async function minutesLocked(db: Kysely<any>, key: 'account' | 'address', value: string, limit: number): Promise<number> {
  const column = key === 'account' ? sql`lower(target)` : sql`client_ip`
  const row = await db
    .selectFrom('audit_log')
    .select(sql<Date | null>`(array_agg(at order by at desc))[${limit}]`.as('kth'))
    .where('action', '=', 'auth.login')
    .where('result', '=', 'failed')
    .where(column, '=', key === 'account' ? value.toLowerCase() : value)
    .where('at', '>', sql<Date>`now() - make_interval(mins => ${LOGIN_LIMITS.windowMinutes})`)
    // A successful sign-in clears the account's earlier failures (not the address's).
    .$if(key === 'account', (qb) =>
      qb.where(
        'at',
        '>',
        sql<Date>`coalesce((select max(ok.at) from audit_log ok
          where ok.action = 'auth.login' and ok.result = 'ok' and lower(ok.target) = ${value.toLowerCase()}), '-infinity')`,
      ),
    )
    .executeTakeFirst()
  if (!row?.kth) return 0
  const releaseAt = new Date(row.kth).getTime() + LOGIN_LIMITS.windowMinutes * 60_000
  return Math.max(1, Math.ceil((releaseAt - Date.now()) / 60_000))
}

/**
 * Checks a login and records it in the audit log. A wrong password, an unknown account and a
 * disabled account all get the same message and take the same time.
 */
export async function attemptLogin(
  db: Kysely<any>,
  input: { email: string; password: string; clientIp: string | null },
): Promise<LoginOutcome> {
  const started = Date.now()
  const email = input.email.trim().slice(0, 320)
  const audit = (result: 'ok' | 'failed' | 'denied', code: string, message: string, user?: AppUser) =>
    writeAudit(db, {
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

  const waits = await Promise.all([
    minutesLocked(db, 'account', email, LOGIN_LIMITS.perAccount),
    input.clientIp ? minutesLocked(db, 'address', input.clientIp, LOGIN_LIMITS.perAddress) : 0,
  ])
  const wait = Math.max(...waits)
  if (wait > 0) {
    const message = `Too many failed logins. Try again in ${wait} minute${wait === 1 ? '' : 's'}.`
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
  const { passwordHash: _hash, ...safeUser } = user
  await recordLogin(db, user.id)
  await audit('ok', 'ok', 'signed in', safeUser)
  return { ok: true, user: safeUser }
}
