import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { z } from 'zod'
import { type AuditResult, writeAudit } from '../audit/audit-log'
import { ActionError, type ActionResult } from './action-result'
import { can, type Permission } from './permissions'
import { type AppUser, findUserById, UserRuleError } from './users'

export interface SessionClaims {
  userId: string
  sessionVersion: number
}

export interface ActionContext {
  user: AppUser
  stateDb: Kysely<any>
  clientIp: string | null
}

/** What a handler returns: a message for the user, optionally data and the audit target. */
export interface ActionOutcome<T> {
  message: string
  data?: T
  target?: string | null
}

export interface GuardedSpec<S extends z.ZodType, T> {
  name: string
  permission: Permission
  input: S
  /** The audit record's target, from the validated input (a user id, a table, a migration). */
  target?: (input: z.infer<S>) => string | null
  run: (ctx: ActionContext, input: z.infer<S>) => Promise<ActionOutcome<T>>
  /**
   * A read (a route a page polls every few seconds): checked like any change, but only its refusals
   * and errors are audited; a page view is not an event.
   */
  read?: boolean
}

export interface GuardedCall {
  stateDb: Kysely<any>
  session: SessionClaims | null
  clientIp: string | null
  rawInput: unknown
  /**
   * Reads the input once the caller is known to be allowed (route bodies): nothing of an anonymous
   * or forbidden request's body is read. An ActionError it throws is the result.
   */
  readInput?: () => Promise<unknown>
  /** A reason to refuse the request whoever sends it (a cross-site request), audited as denied. */
  refusal?: { code: string; message: string }
  /** Where internal errors go (server log); never the browser. */
  logError?: (ref: string, error: unknown) => void
}

function formDataToObject(form: FormData): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of form.entries()) {
    if (key.startsWith('$ACTION')) continue
    out[key] = typeof value === 'string' ? value : value.name
  }
  return out
}

function fieldErrors(error: z.ZodError): Record<string, string> {
  const out: Record<string, string> = {}
  for (const issue of error.issues) {
    const key = issue.path.join('.') || '_'
    out[key] ??= issue.message
  }
  return out
}

/**
 * The one path every mutation takes: session → fresh user and role from the state database →
 * permission → input validation → the work → audit record → typed result.
 */
export async function runGuarded<S extends z.ZodType, T>(
  spec: GuardedSpec<S, T>,
  call: GuardedCall,
): Promise<ActionResult<T>> {
  const started = Date.now()
  let raw = call.rawInput instanceof FormData ? formDataToObject(call.rawInput) : call.rawInput
  let user: AppUser | null = null
  let target: string | null = null

  const finish = async (
    result: AuditResult,
    outcome: ActionResult<T>,
    auditMessage = outcome.message,
  ): Promise<ActionResult<T>> => {
    if (spec.read && result === 'ok') return outcome
    try {
      await writeAudit(call.stateDb, {
        actorId: user?.id ?? null,
        actorEmail: user?.email ?? null,
        action: spec.name,
        target,
        input: raw,
        result,
        code: outcome.code,
        message: auditMessage,
        durationMs: Date.now() - started,
        clientIp: call.clientIp,
      })
    } catch (e) {
      call.logError?.('audit', e)
    }
    return outcome
  }

  try {
    if (call.session) {
      const fresh = await findUserById(call.stateDb, call.session.userId)
      user = fresh && !fresh.disabled && fresh.sessionVersion === call.session.sessionVersion ? fresh : null
    }
  } catch (e) {
    call.logError?.('session', e)
    return { ok: false, code: 'unavailable', message: 'The dashboard cannot reach its state database right now.' }
  }
  if (call.refusal) return finish('denied', { ok: false, code: call.refusal.code, message: call.refusal.message })
  if (!user) {
    return finish('denied', { ok: false, code: 'unauthenticated', message: 'Your session has ended. Sign in again.' })
  }
  if (!can(user.role, spec.permission)) {
    return finish('denied', {
      ok: false,
      code: 'forbidden',
      message: `Your role (${user.role}) may not do this.`,
    })
  }
  if (call.readInput) {
    try {
      raw = await call.readInput()
    } catch (e) {
      if (e instanceof ActionError) return finish('invalid', { ok: false, code: e.code, message: e.message })
      throw e
    }
  }

  const parsed = spec.input.safeParse(raw)
  if (!parsed.success) {
    const errors = fieldErrors(parsed.error)
    const [field, message] = Object.entries(errors)[0] ?? ['_', 'Invalid input.']
    return finish('invalid', {
      ok: false,
      code: 'invalid_input',
      message: field === '_' ? message : `${field}: ${message}`,
      fieldErrors: errors,
    })
  }
  target = spec.target?.(parsed.data) ?? null

  try {
    const outcome = await spec.run({ user, stateDb: call.stateDb, clientIp: call.clientIp }, parsed.data)
    if (outcome.target !== undefined) target = outcome.target
    return finish('ok', { ok: true, code: 'ok', message: outcome.message, data: outcome.data })
  } catch (e) {
    if (e instanceof ActionError || e instanceof UserRuleError) {
      const fields = e instanceof ActionError ? e.fieldErrors : undefined
      return finish('failed', { ok: false, code: e.code, message: e.message, ...(fields ? { fieldErrors: fields } : {}) })
    }
    const ref = randomUUID().slice(0, 8)
    call.logError?.(ref, e)
    return finish(
      'error',
      {
        ok: false,
        code: 'internal',
        message: `Something went wrong (reference ${ref}). The details are in the server log.`,
      },
      `reference ${ref}: ${(e as Error)?.message ?? String(e)}`,
    )
  }
}
