import 'server-only'
import { getServerSession } from 'next-auth'
import { headers } from 'next/headers'
import { redirect } from 'next/navigation'
import { cache } from 'react'
import { stateDb } from '../db/server-dbs'
import { serverEnv } from '../runtime/server-env'
import { authOptions } from './auth-options'
import { clientIpFrom } from './client-ip'
import type { SessionClaims } from './guarded-run'
import { can, type Permission } from './permissions'
import { type AppUser, findUserById } from './users'

export async function sessionClaims(): Promise<SessionClaims | null> {
  const session = await getServerSession(authOptions())
  if (!session?.uid || typeof session.sv !== 'number') return null
  return { userId: session.uid, sessionVersion: session.sv }
}

export async function requestClientIp(): Promise<string | null> {
  return clientIpFrom(await headers(), serverEnv().trustProxy)
}

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

/** For pages: the user, or a redirect to the login page (or to the overview when not allowed). */
export async function requireUser(permission: Permission = 'dashboard.read'): Promise<AppUser> {
  const user = await currentUser()
  if (!user) redirect('/login?ended=1')
  if (!can(user.role, permission)) redirect('/overview?denied=1')
  return user
}
