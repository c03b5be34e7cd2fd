import type { FixJob } from './fix-store'
import type { IntegrityRun } from './run-store'

// Free of database imports: the pages' live widgets use these in the browser.

export type WorkStatus = IntegrityRun['status'] | FixJob['status']

export function isRunning(work: { status: WorkStatus }): boolean {
  return work.status === 'queued' || work.status === 'running'
}

/** A run's duration in milliseconds: until `now` while it runs. */
export function runDurationMs(run: Pick<IntegrityRun, 'status'> & { startedAt: Date | string; finishedAt: Date | string | null }, now: number): number | null {
  if (run.finishedAt) return new Date(run.finishedAt).getTime() - new Date(run.startedAt).getTime()
  return isRunning(run) ? now - new Date(run.startedAt).getTime() : null
}

/** The badge class of each status. */
export const RUN_STATUS_BADGE: Record<WorkStatus, string> = {
  queued: 'demo',
  running: 'demo',
  succeeded: 'ok',
  failed: 'bad',
  cancelled: 'warn',
  interrupted: 'warn',
}
