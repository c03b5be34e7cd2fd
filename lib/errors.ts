import type { ActionCode } from './auth/action-result'
import { redactUrls } from './redact-urls'

/**
 * The one error whose message is meant for the user: a refusal or a failure they can act on, with
 * a code. The action wrapper (lib/auth/guarded-run.ts) turns it into `{ ok: false, code, message }`
 * once, with database URLs redacted; any other error becomes a generic message with a reference.
 * Domain errors extend it (or are made with it) instead of being mapped by hand in each action.
 */
// A brand every AppError carries, so that `instanceof AppError` also holds for one made by another
// module graph of the same process (the rule reader is one per process, made by instrumentation.ts
// or by the app, whichever asks first): Symbol.for is shared by all of them.
const APP_ERROR = Symbol.for('dor-db-admin.AppError')

export class AppError extends Error {
  readonly [APP_ERROR] = true
  readonly code: ActionCode
  /** The form fields the error is about, shown next to them. */
  readonly fieldErrors?: Record<string, string>

  constructor(code: ActionCode, message: string, opts: { cause?: unknown; fieldErrors?: Record<string, string> } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'AppError'
    this.code = code
    if (opts.fieldErrors) this.fieldErrors = opts.fieldErrors
  }

  /** AppError itself answers by the brand; a subclass keeps the usual class check. */
  static [Symbol.hasInstance](v: unknown): boolean {
    if (this === AppError) return typeof v === 'object' && v !== null && (v as { [APP_ERROR]?: unknown })[APP_ERROR] === true
    return Function.prototype[Symbol.hasInstance].call(this, v)
  }
}

/** A refusal about one form field (the rule editors): `invalid_input`, shown next to `field`. */
export function fieldError(message: string, field?: string): AppError {
  return new AppError('invalid_input', message, field ? { fieldErrors: { [field]: message } } : {})
}

/** How an AppError reaches the browser. */
export function appErrorResult(e: AppError): { ok: false; code: ActionCode; message: string; fieldErrors?: Record<string, string> } {
  const message = redactUrls(e.message)
  const fields = e.fieldErrors && Object.fromEntries(Object.entries(e.fieldErrors).map(([k, v]) => [k, redactUrls(v)]))
  return { ok: false, code: e.code, message, ...(fields ? { fieldErrors: fields } : {}) }
}

const STATUS: Record<string, number> = {
  unauthenticated: 401,
  forbidden: 403,
  cross_site: 403,
  invalid_input: 400,
  too_large: 413,
  unsupported_media_type: 415,
  not_found: 404,
  conflict: 409,
  no_space: 507,
  unavailable: 503,
  audit_unavailable: 503,
  two_factor_required: 403,
  internal: 500,
}

/** The HTTP status of a refusal's code (400 for a domain code without one of its own). */
export function httpStatus(code: ActionCode): number {
  return STATUS[code] ?? 400
}
