import { sql } from 'kysely'
import { inTransaction } from '../db/in-transaction'
import { hashPassword } from './passwords'
import type { Role } from './permissions'
import { AppError } from '../errors'
import { isDbError } from '../db/db-errors'
import type { StateDb, StateRow } from '../state/state-db'

export interface AppUser {
  id: string
  email: string
  name: string
  role: Role
  disabled: boolean
  sessionVersion: number
  lastLoginAt: Date | null
  createdAt: Date
}

export interface AppUserWithHash extends AppUser {
  passwordHash: string
}

/** Thrown for a rule the caller broke (duplicate e-mail, last admin); its message is safe to show. */
export class UserRuleError extends AppError {
  constructor(
    override readonly code: 'duplicate_email' | 'last_admin' | 'not_found',
    message: string,
  ) {
    super(code, message)
  }
}

const columns = [
  'id',
  'email',
  'name',
  'role',
  'password_hash',
  'session_version',
  'disabled_at',
  'last_login_at',
  'created_at',
] as const

function toUser(row: Pick<StateRow<'app_user'>, (typeof columns)[number]>): AppUserWithHash {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role as Role,
    disabled: row.disabled_at !== null,
    sessionVersion: row.session_version,
    lastLoginAt: row.last_login_at,
    createdAt: row.created_at,
    passwordHash: row.password_hash,
  }
}

function withoutHash({ passwordHash: _hash, ...user }: AppUserWithHash): AppUser {
  return user
}

export async function findUserById(db: StateDb, id: string): Promise<AppUser | null> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return null
  const row = await db.selectFrom('app_user').select(columns).where('id', '=', id).executeTakeFirst()
  return row ? withoutHash(toUser(row)) : null
}

export async function findUserByIdWithHash(db: StateDb, id: string): Promise<AppUserWithHash | null> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return null
  const row = await db.selectFrom('app_user').select(columns).where('id', '=', id).executeTakeFirst()
  return row ? toUser(row) : null
}

export async function findUserByEmailWithHash(db: StateDb, email: string): Promise<AppUserWithHash | null> {
  const row = await db
    .selectFrom('app_user')
    .select(columns)
    .where(sql`lower(email)`, '=', email.trim().toLowerCase())
    .executeTakeFirst()
  return row ? toUser(row) : null
}

export async function listUsers(db: StateDb): Promise<AppUser[]> {
  const rows = await db.selectFrom('app_user').select(columns).orderBy('created_at').orderBy('email').execute()
  return rows.map((r) => withoutHash(toUser(r)))
}

export async function countActiveAdmins(db: StateDb): Promise<number> {
  const row = await db
    .selectFrom('app_user')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('role', '=', 'admin')
    .where('disabled_at', 'is', null)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

export async function createUser(
  db: StateDb,
  input: { email: string; name?: string; role: Role; password: string },
): Promise<AppUser> {
  const passwordHash = await hashPassword(input.password)
  try {
    const row = await db
      .insertInto('app_user')
      .values({ email: input.email.trim(), name: input.name?.trim() ?? '', role: input.role, password_hash: passwordHash })
      .returning(columns)
      .executeTakeFirstOrThrow()
    return withoutHash(toUser(row))
  } catch (e) {
    if (isDbError(e, '23505')) {
      throw new UserRuleError('duplicate_email', `A user with the e-mail ${input.email.trim()} already exists.`)
    }
    throw e
  }
}

/**
 * Runs a change to one user inside a transaction that first locks every admin row, so that two
 * admins demoting each other at once cannot leave the dashboard without an active admin.
 */
async function changeUser(
  db: StateDb,
  id: string,
  values: Record<string, unknown>,
  removesAdmin: (user: AppUser) => boolean,
): Promise<AppUser> {
  return inTransaction(db, async (trx) => {
    await trx.selectFrom('app_user').select('id').where('role', '=', 'admin').forUpdate().execute()
    const user = await findUserById(trx, id)
    if (!user) throw new UserRuleError('not_found', 'No such user.')
    if (removesAdmin(user) && user.role === 'admin' && !user.disabled && (await countActiveAdmins(trx)) <= 1) {
      throw new UserRuleError('last_admin', 'This is the last active admin: make another admin first.')
    }
    const row = await trx
      .updateTable('app_user')
      .set({ ...values, updated_at: sql`now()` })
      .where('id', '=', id)
      .returning(columns)
      .executeTakeFirstOrThrow()
    return withoutHash(toUser(row))
  })
}

export function setUserRole(db: StateDb, id: string, role: Role): Promise<AppUser> {
  return changeUser(db, id, { role }, () => role !== 'admin')
}

export function setUserDisabled(db: StateDb, id: string, disabled: boolean): Promise<AppUser> {
  return changeUser(
    db,
    id,
    disabled
      ? { disabled_at: sql`coalesce(disabled_at, now())`, session_version: sql`session_version + 1` }
      : { disabled_at: null },
    () => disabled,
  )
}

export async function resetPassword(db: StateDb, id: string, password: string): Promise<AppUser> {
  const passwordHash = await hashPassword(password)
  return changeUser(db, id, { password_hash: passwordHash, session_version: sql`session_version + 1` }, () => false)
}

/**
 * Sign-out: ends every session of the user that carries this session version (a copied cookie
 * included), as disabling or a password reset does. A stale version changes nothing.
 */
export async function endSessions(db: StateDb, id: string, sessionVersion: number): Promise<boolean> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return false
  const result = await db
    .updateTable('app_user')
    .set({ session_version: sql`session_version + 1`, updated_at: sql`now()` })
    .where('id', '=', id)
    .where('session_version', '=', sessionVersion)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}

export async function recordLogin(db: StateDb, id: string): Promise<void> {
  await db.updateTable('app_user').set({ last_login_at: sql`now()` }).where('id', '=', id).execute()
}
