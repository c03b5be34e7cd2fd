import { randomUUID } from 'node:crypto'
import type { z } from 'zod'
import { type AuditResult, finishAudit, startAudit, writeAudit } from '../audit/audit-log'
import { appErrorResult, AppError } from '../errors'
import type { ActionResult } from './action-result'
import { can, type Permission } from './permissions'
import { mustEnrolFirst } from './two-factor-policy'
import { type AppUser, findUserById } from './users'
import type { StateDb } from '../state/state-db'

export interface SessionClaims {
  userId: string
  sessionVersion: number
}

export interface ActionContext {
  user: AppUser
  stateDb: StateDb
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
   * The change is to the state database only: it runs in one state transaction together with its
   * audit record (ctx.stateDb is that transaction), so neither is kept without the other. Without
   * it, the change is recorded as started before it runs and its result written after.
   */
  stateTransaction?: boolean
  /**
   * Allowed to an admin who must set up two-factor sign-in first (the enrolment itself); every
   * other action refuses them until they have.
   */
  beforeTwoFactor?: boolean
}

export interface GuardedCall {
  stateDb: StateDb
  session: SessionClaims | null
  clientIp: string | null
  rawInput: unknown
  /**
   * Reads the input once the caller is known to be allowed (route bodies): nothing of an anonymous
   * or forbidden request's body is read. An AppError it throws is the result.
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

export function fieldErrors(error: z.ZodError): Record<string, string> {
  const out: Record<string, string> = {}
  for (const issue of error.issues) {
    const key = issue.path.join('.') || '_'
    out[key] ??= issue.message
  }
  return out
}

/** What the caller gets when the audit log cannot be written before a change: nothing was done. */
export const AUDIT_UNAVAILABLE = {
  ok: false as const,
  code: 'audit_unavailable',
  message:
    'Nothing was changed: the audit log cannot be written right now, and every change must be recorded there first. Try again once the state database accepts writes.',
}

/** What the caller gets when a change ran but its result could not be recorded. */
const RESULT_UNRECORDED = {
  ok: false as const,
  code: 'audit_unavailable',
  message:
    'This ran, but its result could not be written to the audit log (its start is recorded there), so nothing of it is shown. Check what it did before trying again.',
}

/** An audit write that failed inside the change's own transaction: the transaction rolls back. */
class AuditWriteFailed extends Error {
  constructor(readonly cause: unknown) {
    super('the audit record could not be written')
  }
}

type Finished<T> = { result: Exclude<AuditResult, 'started'>; outcome: ActionResult<T>; auditMessage: string; target?: string | null }

/**
 * The one path every mutation takes: session → fresh user and role from the state database →
 * permission → input validation → the audit record → the work → its result in the audit record →
 * typed result. Fail closed: a change whose audit record cannot be written does not happen (or, run
 * outside the state database, does not start), and what it would have returned is not returned.
 */
export async function runGuarded<S extends z.ZodType, T>(
  spec: GuardedSpec<S, T>,
  call: GuardedCall,
): Promise<ActionResult<T>> {
  const started = Date.now()
  let raw = call.rawInput instanceof FormData ? formDataToObject(call.rawInput) : call.rawInput
  let user: AppUser | null = null
  let target: string | null = null
  let mustEnrol = false

  const entry = () => ({
    actorId: user?.id ?? null,
    actorEmail: user?.email ?? null,
    action: spec.name,
    target,
    input: raw,
    durationMs: Date.now() - started,
    clientIp: call.clientIp,
  })

  /** A request refused before anything ran: its record is written if it can be; it changed nothing either way. */
  const refuse = async (result: AuditResult, outcome: ActionResult<T>): Promise<ActionResult<T>> => {
    try {
      await writeAudit(call.stateDb, { ...entry(), result, code: outcome.code, message: outcome.message })
    } catch (e) {
      call.logError?.('audit', e)
    }
    return outcome
  }

  try {
    if (call.session) {
      const fresh = await findUserById(call.stateDb, call.session.userId)
      user = fresh && !fresh.disabled && fresh.sessionVersion === call.session.sessionVersion ? fresh : null
      if (user && !spec.beforeTwoFactor) mustEnrol = await mustEnrolFirst(call.stateDb, user)
    }
  } catch (e) {
    call.logError?.('session', e)
    return { ok: false, code: 'unavailable', message: 'The dashboard cannot reach its state database right now.' }
  }
  if (call.refusal) return refuse('denied', { ok: false, code: call.refusal.code, message: call.refusal.message })
  if (!user) {
    return refuse('denied', { ok: false, code: 'unauthenticated', message: 'Your session has ended. Sign in again.' })
  }
  if (!can(user.role, spec.permission)) {
    return refuse('denied', {
      ok: false,
      code: 'forbidden',
      message: `Your role (${user.role}) may not do this.`,
    })
  }
  if (mustEnrol) {
    return refuse('denied', {
      ok: false,
      code: 'two_factor_required',
      message: 'Admins must use two-factor sign-in: set it up on your account page first.',
    })
  }
  if (call.readInput) {
    try {
      raw = await call.readInput()
    } catch (e) {
      if (e instanceof AppError) return refuse('invalid', appErrorResult(e))
      throw e
    }
  }

  const parsed = spec.input.safeParse(raw)
  if (!parsed.success) {
    const errors = fieldErrors(parsed.error)
    const [field, message] = Object.entries(errors)[0] ?? ['_', 'Invalid input.']
    return refuse('invalid', {
      ok: false,
      code: 'invalid_input',
      message: field === '_' ? message : `${field}: ${message}`,
      fieldErrors: errors,
    })
  }
  target = spec.target?.(parsed.data) ?? null
  const actor = user

  /** The handler's outcome; errors other than the user-facing ones are rethrown when `rethrow`. */
  const runHandler = async (stateDb: StateDb): Promise<Finished<T>> => {
    try {
      const outcome = await spec.run({ user: actor, stateDb, clientIp: call.clientIp }, parsed.data)
      return {
        result: 'ok',
        outcome: { ok: true, code: 'ok', message: outcome.message, data: outcome.data },
        auditMessage: outcome.message,
        target: outcome.target,
      }
    } catch (e) {
      if (e instanceof AppError) {
        const outcome = appErrorResult(e)
        return { result: 'failed', outcome, auditMessage: outcome.message }
      }
      const ref = randomUUID().slice(0, 8)
      call.logError?.(ref, e)
      return {
        result: 'error',
        outcome: { ok: false, code: 'internal', message: `Something went wrong (reference ${ref}). The details are in the server log.` },
        auditMessage: `reference ${ref}: ${(e as Error)?.message ?? String(e)}`,
      }
    }
  }

  const record = (f: Finished<T>) => {
    if (f.target !== undefined) target = f.target
    return { ...entry(), result: f.result, code: f.outcome.code, message: f.auditMessage }
  }

  if (spec.stateTransaction) {
    let finished: Finished<T> | undefined
    try {
      return await call.stateDb.transaction().execute(async (trx) => {
        finished = await runHandler(trx)
        // An internal error may have aborted the transaction: undo whatever it did, record it outside.
        if (finished.result === 'error') throw new AuditWriteFailed(null)
        try {
          await writeAudit(trx, record(finished))
        } catch (e) {
          throw new AuditWriteFailed(e)
        }
        return finished.outcome
      })
    } catch (e) {
      if (!(e instanceof AuditWriteFailed) || !finished) {
        // The commit itself failed: nothing of the change was kept.
        const ref = randomUUID().slice(0, 8)
        call.logError?.(ref, e)
        return refuse('error', { ok: false, code: 'internal', message: `Something went wrong (reference ${ref}). The details are in the server log.` })
      }
      // Rolled back: a change that was made is undone. A failure (nothing changed) is still recorded if it can be.
      if (e.cause) call.logError?.('audit', e.cause)
      if (finished.result === 'ok') {
        return refuse('error', AUDIT_UNAVAILABLE as ActionResult<T>)
      }
      return refuse(finished.result, finished.outcome)
    }
  }

  let auditId: number
  try {
    auditId = await startAudit(call.stateDb, entry())
  } catch (e) {
    call.logError?.('audit', e)
    return AUDIT_UNAVAILABLE
  }
  const finished = await runHandler(call.stateDb)
  try {
    const r = record(finished)
    await finishAudit(call.stateDb, auditId, { result: r.result, code: r.code, message: r.message, durationMs: r.durationMs, target: r.target })
  } catch (e) {
    call.logError?.('audit', e)
    return finished.outcome.ok ? RESULT_UNRECORDED : finished.outcome
  }
  return finished.outcome
}
