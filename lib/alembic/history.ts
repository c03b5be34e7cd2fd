import type { Kysely } from 'kysely'
import { alembicError } from './output'
import { runAlembicProcess } from './process'
import type { AlembicSettings } from './settings'
import { type AlembicStatus, alembicStatus, upgradeOrder } from './status'

export interface AlembicHistoryEntry {
  revision: string
  downRevisions: string[]
  message: string | null
  file: string
  applied: boolean
  current: boolean
  head: boolean
  merge: boolean
  branchPoint: boolean
}

export interface AlembicHistory {
  /** From the revision files, newest first; empty when their folder is unknown. */
  entries: AlembicHistoryEntry[]
  /** `alembic history` as the team sees it; null when it failed (then `error`). */
  output: string | null
  error: string | null
}

/** The revision files newest first, marked with what the database has (no process is run). */
export function historyEntries(status: AlembicStatus): AlembicHistoryEntry[] {
  const g = status.graph
  if (!g) return []
  const applied = new Set(status.applied)
  return upgradeOrder(g)
    .reverse()
    .map((id) => {
      const r = g.revisions.find((x) => x.revision === id)!
      return {
        revision: id,
        downRevisions: r.downRevisions,
        message: r.message,
        file: r.file,
        applied: applied.has(id),
        current: status.current.includes(id),
        head: g.heads.includes(id),
        merge: g.merges.includes(id),
        branchPoint: g.branchPoints.includes(id),
      }
    })
}

/**
 * The chain's history: the revision files newest first, marked with what the database has (read
 * through our own connection), and Alembic's own `history` output. `alembic history` reads only
 * the files; it does not connect to the database.
 */
export async function alembicHistory(db: Kysely<any>, settings: AlembicSettings, targetUrl: string, versionsDir: string | null): Promise<AlembicHistory> {
  const [status, proc] = await Promise.all([alembicStatus(db, versionsDir), runAlembicProcess(settings, targetUrl, ['history'])])
  return { entries: historyEntries(status), output: proc.ok ? proc.stdout : null, error: proc.ok ? null : alembicError(proc.stderr, proc.stdout) }
}
