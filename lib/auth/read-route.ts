import 'server-only'
import { describeDbError, withoutRowValues } from '../db/db-errors'
import { PerformanceError } from '../performance/performance-error'
import { currentUser } from './current-user'
import { can, type Permission } from './permissions'
import type { AppUser } from './users'

const NO_STORE = { 'cache-control': 'no-store' }

function message(status: number, text: string): Response {
  return Response.json({ ok: false, message: text }, { status, headers: NO_STORE })
}

/**
 * A GET route handler answering JSON for a live widget: the signed-in user read fresh (a disabled
 * or demoted user is refused at once), the permission checked, then `read`. Reads change nothing,
 * so they are not audited; a failed read answers 503 with the database's message, row values left out.
 */
export function readRoute<T>(permission: Permission, read: (user: AppUser, params: URLSearchParams) => Promise<T>) {
  return async (request: Request): Promise<Response> => {
    const user = await currentUser()
    if (!user) return message(401, 'Your session has ended. Sign in again.')
    if (!can(user.role, permission)) return message(403, `Your role (${user.role}) may not do this.`)
    try {
      return Response.json(await read(user, new URL(request.url).searchParams), { headers: NO_STORE })
    } catch (e) {
      if (e instanceof PerformanceError) return message(e.code === 'invalid-input' ? 400 : 403, e.message)
      console.error('[dbadmin] read route error:', e)
      return message(503, `Could not read this from the database: ${withoutRowValues(describeDbError(e))}`)
    }
  }
}
