import 'server-only'
import type { z } from 'zod'
import { describeDbError, withoutRowValues } from '../db/db-errors'
import { AppError } from '../errors'
import { redactUrls } from '../redact-urls'
import { ActionError } from './action-result'
import { currentUser } from './current-user'
import { fieldErrors } from './guarded-run'
import { can, type Permission } from './permissions'
import type { AppUser } from './users'

const NO_STORE = { 'cache-control': 'no-store' }

function message(status: number, text: string, code?: string): Response {
  return Response.json({ ok: false, ...(code ? { code } : {}), message: text }, { status, headers: NO_STORE })
}

/**
 * A GET route handler answering JSON for a live widget: the signed-in user read fresh (a disabled
 * or demoted user is refused at once), the permission checked, then `read`. Reads change nothing,
 * so they are not audited; a failed read answers 503 with the database's message, row values left out.
 * A refusal (an AppError such as readParams' ActionError) answers 400 with its code, 403 when forbidden.
 */
export function readRoute<T>(permission: Permission, read: (user: AppUser, params: URLSearchParams) => Promise<T>) {
  return async (request: Request): Promise<Response> => {
    const user = await currentUser()
    if (!user) return message(401, 'Your session has ended. Sign in again.')
    if (!can(user.role, permission)) return message(403, `Your role (${user.role}) may not do this.`)
    try {
      return Response.json(await read(user, new URL(request.url).searchParams), { headers: NO_STORE })
    } catch (e) {
      if (e instanceof AppError) return message(e.code === 'forbidden' ? 403 : 400, redactUrls(e.message), e.code)
      console.error('[dbadmin] read route error:', e)
      return message(503, `Could not read this from the database: ${withoutRowValues(describeDbError(e))}`)
    }
  }
}

/** The query string checked against `schema`: its value, or an ActionError (400) naming the first bad field. */
export function readParams<S extends z.ZodType>(schema: S, params: URLSearchParams): z.infer<S> {
  const parsed = schema.safeParse(Object.fromEntries(params))
  if (parsed.success) return parsed.data
  const errors = fieldErrors(parsed.error)
  const [field, text] = Object.entries(errors)[0] ?? ['_', 'Invalid input.']
  throw new ActionError('invalid_input', field === '_' ? text : `${field}: ${text}`, errors)
}
