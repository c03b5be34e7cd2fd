import 'server-only'
import type { z } from 'zod'
import { stateDb } from '../db/server-dbs'
import type { ActionResult } from './action-result'
import { requestClientIp, sessionClaims } from './current-user'
import { type GuardedSpec, runGuarded } from './guarded-run'

const wrapped = new WeakMap<object, GuardedSpec<any, any>>()

/** True for functions built by action() or routeAction(); a unit test checks every export. */
export function isWrappedAction(fn: unknown): boolean {
  return typeof fn === 'function' && wrapped.has(fn)
}

/** The spec behind a wrapped action, so that tests can run every action as every role. */
export function wrappedSpec(fn: unknown): GuardedSpec<any, any> | undefined {
  return typeof fn === 'function' ? wrapped.get(fn) : undefined
}

function logError(ref: string, error: unknown) {
  console.error(`[dbadmin] action error ${ref}:`, error)
}

/**
 * Builds a server action. Forms may pass FormData; code may pass a plain object.
 * `export const createUser = action({ name: 'users.create', permission: 'users.manage', input, run })`
 */
export function action<S extends z.ZodType, T = undefined>(spec: GuardedSpec<S, T>) {
  const fn = async (rawInput: unknown): Promise<ActionResult<T>> =>
    runGuarded(spec, {
      stateDb: stateDb(),
      session: await sessionClaims(),
      clientIp: await requestClientIp(),
      rawInput,
      logError,
    })
  wrapped.set(fn, spec)
  return fn
}

/** Builds a mutating route handler (JSON body in, `{ ok, code, message }` out). */
export function routeAction<S extends z.ZodType, T = undefined>(spec: GuardedSpec<S, T>) {
  const fn = async (request: Request): Promise<Response> => {
    let body: unknown = undefined
    const text = await request.text()
    if (text) {
      try {
        body = JSON.parse(text)
      } catch {
        body = Symbol('unparseable')
      }
    }
    const result = await runGuarded(spec, {
      stateDb: stateDb(),
      session: await sessionClaims(),
      clientIp: await requestClientIp(),
      rawInput: body,
      logError,
    })
    const status = result.ok ? 200 : STATUS[result.code] ?? 400
    return Response.json(result, { status })
  }
  wrapped.set(fn, spec)
  return fn
}

const STATUS: Record<string, number> = {
  unauthenticated: 401,
  forbidden: 403,
  invalid_input: 400,
  not_found: 404,
  conflict: 409,
  unavailable: 503,
  internal: 500,
}
