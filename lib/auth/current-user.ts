import 'server-only'
import { getServerSession } from 'next-auth'
import { redirect } from 'next/navigation'
import { cache } from 'react'
import { stateDb } from '../db/server-dbs'
import { authOptions } from './auth-options'
import type { SessionClaims } from './guarded-run'
import { can, type Permission } from './permissions'
import { mustEnrolFirst } from './two-factor-policy'
import { type AppUser, findUserById } from './users'

export async function sessionClaims(): Promise<SessionClaims | null> {
  const session = await getServerSession(authOptions())
  if (!session?.uid || typeof session.sv !== 'number') return null
  return { userId: session.uid, sessionVersion: session.sv }
}

export { requestClientIp } from './client-request'

/**
 * The signed-in user, read fresh from the state database on every request: a disabled user,
 * or one whose password was reset, is signed out at once.
 */
export const currentUser = cache(async (): Promise<AppUser | null> => {
  const claims = await sessionClaims()
  if (!claims) return null
  const user = await findUserById(stateDb(), claims.userId)
  if (!user || user.disabled || user.sessionVersion !== claims.sessionVersion) return null
  return user
})

/** Where an admin who must set up two-factor sign-in is sent, before anything else. */
export const TWO_FACTOR_SETUP_PATH = '/account?setup=required'

/**
 * For pages: the user, or a redirect to the login page (or to the overview when not allowed). An
 * admin who must set up two-factor sign-in first is sent to do so, except from the account pages
 * (`beforeTwoFactor`).
 */
export async function requireUser(permission: Permission = 'dashboard.read', opts: { beforeTwoFactor?: boolean } = {}): Promise<AppUser> {
  const user = await currentUser()
  if (!user) redirect('/login?ended=1')
  if (!opts.beforeTwoFactor && (await mustEnrolFirst(stateDb(), user))) redirect(TWO_FACTOR_SETUP_PATH)
  if (!can(user.role, permission)) redirect('/overview?denied=1')
  return user
}
