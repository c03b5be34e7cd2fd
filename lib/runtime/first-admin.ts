import { generatePassword } from '../auth/passwords'
import { createUser, findUserByEmailWithHash } from '../auth/users'
import type { StateDb } from '../state/state-db'

export type FirstAdmin =
  | { created: false }
  | { created: true; email: string; generatedPassword: string | null }

export const DEFAULT_ADMIN_EMAIL = 'admin@localhost'

/**
 * ADMIN_EMAIL/ADMIN_PASSWORD create that admin when the account does not exist yet. Without them,
 * an empty user table gets admin@localhost with a generated password, shown once by the caller.
 */
export async function ensureFirstAdmin(
  db: StateDb,
  fromEnv: { email?: string; password?: string },
): Promise<FirstAdmin> {
  if (fromEnv.email && fromEnv.password) {
    if (await findUserByEmailWithHash(db, fromEnv.email)) return { created: false }
    await createUser(db, { email: fromEnv.email, name: 'Administrator', role: 'admin', password: fromEnv.password })
    return { created: true, email: fromEnv.email, generatedPassword: null }
  }
  const any = await db.selectFrom('app_user').select('id').limit(1).executeTakeFirst()
  if (any) return { created: false }
  const password = generatePassword()
  await createUser(db, { email: DEFAULT_ADMIN_EMAIL, name: 'Administrator', role: 'admin', password })
  return { created: true, email: DEFAULT_ADMIN_EMAIL, generatedPassword: password }
}
