import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import { type AuditResult, writeAudit } from '../audit/audit-log'
import { BackupError } from '../backups/backup-error'
import { createBackup, type CreateBackupOptions } from '../backups/create-backup'
import type { WorkProgress } from '../backups/types'

/*
 * The one place backups, verifications, drills and restores run in the background: in this process,
 * each with an AbortController for its cancel. A backup's state is its catalogue row (the library
 * saves progress there and holds its liveness lock); the other kinds of work are kept here while the
 * process lives, and their outcome goes to the audit log. This layer is kept thin so that a queue
 * (pg-boss) can replace it: the callers only start, list and cancel.
 */

export type BackupWorkKind = 'backup' | 'verify' | 'drill' | 'restore' | 'restore_table'

export interface BackupWork {
  /** For a backup, its catalogue id; otherwise an id of the work itself. */
  id: string
  kind: BackupWorkKind
  backupId: string
  targetKey: string
  /** What the work does, for the page ("Restore into dor_copy"). */
  title: string
  startedBy: string
  startedAt: Date
  finishedAt: Date | null
  status: 'running' | 'succeeded' | 'failed' | 'cancelled'
  progress: WorkProgress | null
  /** The outcome for a person: what was done, or why it failed. */
  message: string | null
}

export interface WorkActor {
  id: string | null
  email: string
}

interface Entry {
  work: BackupWork
  controller: AbortController
}

/** Finished work kept for the page, per process. */
const KEEP_FINISHED = 30

// On globalThis so that dev-mode module reloads keep one registry.
const holder = globalThis as unknown as { __dbadminBackupWork?: Map<string, Entry> }
function registry(): Map<string, Entry> {
  return (holder.__dbadminBackupWork ??= new Map())
}

function prune() {
  const finished = [...registry().values()].filter((e) => e.work.status !== 'running').sort((a, b) => b.work.startedAt.getTime() - a.work.startedAt.getTime())
  for (const e of finished.slice(KEEP_FINISHED)) registry().delete(e.work.id)
}

function register(w: Omit<BackupWork, 'startedAt' | 'finishedAt' | 'status' | 'progress' | 'message'>, controller: AbortController): BackupWork {
  const work: BackupWork = { ...w, startedAt: new Date(), finishedAt: null, status: 'running', progress: null, message: null }
  registry().set(work.id, { work, controller })
  prune()
  return work
}

/** Records the outcome in the audit log, then on the work: whoever sees it finished finds it audited. */
async function settle(state: Kysely<any>, work: BackupWork, actor: WorkActor, action: string, signal: AbortSignal, outcome: { ok: true; message: string } | { ok: false; error: unknown }) {
  const finishedAt = new Date()
  let result: AuditResult = 'ok'
  let code = 'ok'
  let status: BackupWork['status'] = 'succeeded'
  let message: string
  if (outcome.ok) message = outcome.message
  else {
    const e = outcome.error
    status = signal.aborted ? 'cancelled' : 'failed'
    message = e instanceof BackupError ? e.message : `Failed: ${(e as Error)?.message ?? e}`
    result = 'failed'
    code = e instanceof BackupError ? e.backupCode : 'internal'
    if (!(e instanceof BackupError)) console.error(`[dbadmin] ${action} failed:`, e)
  }
  await writeAudit(state, {
    actorId: actor.id,
    actorEmail: actor.email,
    action: `${action}.finished`,
    target: `backup ${work.backupId}`,
    input: { work: work.id, kind: work.kind },
    result,
    code,
    message,
    durationMs: finishedAt.getTime() - work.startedAt.getTime(),
  }).catch((e: unknown) => console.error('[dbadmin] audit of finished backup work failed:', e))
  Object.assign(work, { finishedAt, status, message })
}

/**
 * Starts a backup in the background and answers with its catalogue id as soon as its row exists
 * (or with the error that kept it from starting: another backup running, no disk space, no pg_dump).
 */
export function startBackupJob(
  state: Kysely<any>,
  o: Omit<CreateBackupOptions, 'signal' | 'onProgress' | 'onStarted'>,
  meta: { targetKey: string; actor: WorkActor; title: string },
): Promise<string> {
  const controller = new AbortController()
  return new Promise<string>((resolve, reject) => {
    let work: BackupWork | null = null
    createBackup(state, {
      ...o,
      signal: controller.signal,
      onStarted: (id) => {
        work = register({ id, kind: 'backup', backupId: id, targetKey: meta.targetKey, title: meta.title, startedBy: meta.actor.email }, controller)
        resolve(id)
      },
      onProgress: (p) => {
        if (work) work.progress = p
      },
    }).then(
      (r) => {
        if (work) void settle(state, work, meta.actor, 'backups.create', controller.signal, { ok: true, message: `Backup ${r.file} succeeded (${r.sizeBytes} bytes).` })
      },
      (e: unknown) => {
        if (work) void settle(state, work, meta.actor, 'backups.create', controller.signal, { ok: false, error: e })
        else reject(e)
      },
    )
  })
}

/**
 * Runs a verification, drill or restore of a backup in the background; returns the work's id at
 * once. One restore or drill per target at a time: two would compete for the server and, over the
 * target, for its data.
 */
export function startBackupWork(
  state: Kysely<any>,
  w: { kind: Exclude<BackupWorkKind, 'backup'>; backupId: string; targetKey: string; title: string; actor: WorkActor; action: string },
  run: (signal: AbortSignal, onProgress: (p: WorkProgress) => void) => Promise<string>,
): BackupWork {
  if (w.kind !== 'verify') {
    const busy = [...registry().values()].find((e) => e.work.status === 'running' && e.work.targetKey === w.targetKey && e.work.kind !== 'verify' && e.work.kind !== 'backup')
    if (busy) throw new BackupError('conflict', `${busy.work.title} is still running (started by ${busy.work.startedBy}). Wait for it to finish or cancel it.`)
  }
  const controller = new AbortController()
  const work = register({ id: randomUUID(), kind: w.kind, backupId: w.backupId, targetKey: w.targetKey, title: w.title, startedBy: w.actor.email }, controller)
  run(controller.signal, (p) => (work.progress = p)).then(
    (message) => settle(state, work, w.actor, w.action, controller.signal, { ok: true, message }),
    (error: unknown) => settle(state, work, w.actor, w.action, controller.signal, { ok: false, error }),
  )
  return work
}

/** This target's work, running first, then the newest. */
export function listBackupWork(targetKey: string): BackupWork[] {
  return [...registry().values()]
    .map((e) => e.work)
    .filter((w) => w.targetKey === targetKey)
    .sort((a, b) => Number(b.status === 'running') - Number(a.status === 'running') || b.startedAt.getTime() - a.startedAt.getTime())
    .map((w) => ({ ...w, progress: w.progress ? { ...w.progress } : null }))
}

export function findBackupWork(targetKey: string, id: string): BackupWork | null {
  const e = registry().get(id)
  return e && e.work.targetKey === targetKey ? { ...e.work } : null
}

/** Stops running work of this target (pg_dump, pg_restore or psql is stopped by the library); false when it is not running here or already stopping. */
export function cancelBackupWork(targetKey: string, id: string, by: string): boolean {
  const e = registry().get(id)
  // Already asked to stop: it is removing its output and recording the end.
  if (!e || e.work.targetKey !== targetKey || e.work.status !== 'running' || e.controller.signal.aborted) return false
  e.controller.abort(new BackupError('cancelled', `Cancelled by ${by}.`))
  return true
}

/** Resolves when the work has finished (tests and the CLI wait with it). */
export async function workFinished(id: string, timeoutMs = 300_000): Promise<BackupWork> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const e = registry().get(id)
    if (!e) throw new Error(`no backup work ${id}`)
    if (e.work.status !== 'running' && e.work.finishedAt) return { ...e.work }
    if (Date.now() > deadline) throw new Error(`backup work ${id} did not finish`)
    await new Promise((r) => setTimeout(r, 100))
  }
}
