import { can, type Role } from '../auth/permissions'
import { withoutRowValues } from '../db/db-errors'
import { findJobKind } from './all-kinds'
import { ACTIVE_STATES, type JobRow } from './job-store'

/** A job as `dbadmin jobs list --json` prints it and the Jobs page's route sends it. */
export function jobJson(j: JobRow) {
  return {
    id: j.id,
    kind: j.kind,
    state: j.state,
    subject: j.subject,
    startedBy: j.startedBy,
    trigger: j.trigger,
    createdAt: j.createdAt,
    startedAt: j.startedAt,
    finishedAt: j.finishedAt,
    attempts: j.attempts,
    progress: j.progress,
    cancelRequested: j.cancelRequested,
    message: j.message,
    error: j.error,
    ref: j.refId,
    links: findJobKind(j.kind)?.links?.(j) ?? [],
  }
}

/** A job for the Jobs page: dates as ISO text (it travels as JSON), its kind's title, and whether this user may cancel it now. */
export interface JobView {
  id: number
  kind: string
  title: string
  state: JobRow['state']
  subject: string
  startedBy: string
  trigger: JobRow['trigger']
  createdAt: string
  startedAt: string | null
  finishedAt: string | null
  attempts: number
  progress: JobRow['progress']
  cancelRequested: boolean
  message: string | null
  error: string | null
  links: { label: string; href: string }[]
  /** Operators cancel their kinds (checks.run), admins every kind; a running job only if its kind stops early (cancelRequested: already asked). */
  canCancel: boolean
}

/** Errors of fixes and checks may quote row values: only roles that may reveal data see them whole. */
export function jobView(j: JobRow, role: Role): JobView {
  const shown = (text: string | null) => (text === null || can(role, 'data.reveal') ? text : withoutRowValues(text))
  const kind = findJobKind(j.kind)
  const active = ACTIVE_STATES.includes(j.state)
  const stoppable = j.state === 'queued' || (kind?.cancellable ?? false)
  const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null)
  return {
    id: j.id,
    kind: j.kind,
    title: kind?.title ?? j.kind,
    state: j.state,
    subject: j.subject,
    startedBy: j.startedBy,
    trigger: j.trigger,
    createdAt: iso(j.createdAt)!,
    startedAt: iso(j.startedAt),
    finishedAt: iso(j.finishedAt),
    attempts: j.attempts,
    progress: j.progress,
    cancelRequested: j.cancelRequested,
    message: shown(j.message),
    error: shown(j.error),
    links: kind?.links?.(j) ?? [],
    canCancel: !!kind && active && stoppable && can(role, kind.cancelPermission),
  }
}
