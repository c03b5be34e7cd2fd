import 'server-only'
import type { z } from 'zod'
import { httpStatus } from '../errors'
import { stateDb } from '../db/server-dbs'
import { serverEnv } from '../runtime/server-env'
import type { ActionResult } from './action-result'
import { requestClientIp, sessionClaims } from './current-user'
import { type GuardedSpec, runGuarded } from './guarded-run'
import { crossSiteRefusal, readJsonBody, ownOrigins } from './route-request'

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

/**
 * Builds a mutating route handler (JSON body in, `{ ok, code, message }` out). A request sent by
 * another site is refused; the body is read only after the session and role allow the change, and
 * only up to MAX_BODY_BYTES of JSON.
 */
export function routeAction<S extends z.ZodType, T = undefined>(spec: GuardedSpec<S, T>) {
  const fn = async (request: Request): Promise<Response> => {
    const refusal = crossSiteRefusal(request.headers, ownOrigins(request.headers, serverEnv().publicUrl))
    const result = await runGuarded(spec, {
      stateDb: stateDb(),
      session: await sessionClaims(),
      clientIp: await requestClientIp(),
      rawInput: undefined,
      readInput: () => readJsonBody(request),
      refusal: refusal ? { code: 'cross_site', message: refusal } : undefined,
      logError,
    })
    const status = statusOf(result)
    return Response.json(result, { status })
  }
  wrapped.set(fn, spec)
  return fn
}

/**
 * A read that hands out data (a download, an export): not a mutation, but checked and audited like
 * one: session, fresh role, permission, input, the audit record before it is handed out. The route
 * turns the result into its response (statusOf for a refusal).
 */
export async function guardedRead<S extends z.ZodType, T>(spec: GuardedSpec<S, T>, rawInput: unknown): Promise<ActionResult<T>> {
  return runGuarded(spec, {
    stateDb: stateDb(),
    session: await sessionClaims(),
    clientIp: await requestClientIp(),
    rawInput,
    logError,
  })
}

/** The HTTP status of a refused action or read. */
export function statusOf(result: ActionResult<unknown>): number {
  return result.ok ? 200 : httpStatus(result.code)
}

/** A refusal as a short text response (downloads answer in text, not JSON). */
export function refusalText(result: ActionResult<unknown>): Response {
  return new Response(result.message + '\n', {
    status: statusOf(result),
    headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
  })
}

/**
 * Builds a route handler whose body is a raw stream (an upload), not JSON: the same checks as
 * routeAction (another site refused; session, role and permission before anything of the body is
 * read), with `toInput` giving the input from the request (its headers, and the body as a stream).
 */
export function streamRouteAction<S extends z.ZodType, T = undefined>(spec: GuardedSpec<S, T>, toInput: (request: Request) => unknown) {
  const fn = async (request: Request): Promise<Response> => {
    const refusal = crossSiteRefusal(request.headers, ownOrigins(request.headers, serverEnv().publicUrl))
    const result = await runGuarded(spec, {
      stateDb: stateDb(),
      session: await sessionClaims(),
      clientIp: await requestClientIp(),
      rawInput: undefined,
      readInput: async () => toInput(request),
      refusal: refusal ? { code: 'cross_site', message: refusal } : undefined,
      logError,
    })
    return Response.json(result, { status: statusOf(result) })
  }
  wrapped.set(fn, spec)
  return fn
}
