import type { Kysely } from 'kysely'
import { type AlembicGraph, alembicGraph, readAlembicRevisions } from '../migrations/alembic-graph'
import { describeRevisions, readAlembicVersion } from './version-table'

export interface AlembicStatus {
  /** The target has an alembic_version table. */
  versionTable: boolean
  /** Its rows: one per applied head. */
  current: string[]
  versionsDir: string | null
  /** The revision files' graph; null when the folder is unknown or unreadable. */
  graph: AlembicGraph | null
  graphError: string | null
  heads: string[]
  /** The current revisions and every revision below them. */
  applied: string[]
  /** Revisions of the files not applied yet, in an order they can run. */
  pending: string[]
  /** Current revisions that no revision file has: the code is older than the database, or was rewritten. */
  unknownCurrent: string[]
  /** Null when the graph is unknown. */
  atHead: boolean | null
  problems: string[]
  /** One line: "Alembic at 1a2b3c4d5e6f, one head; 2 revisions pending". */
  summary: string
}

/** Every revision at or below `from` (down_revision links, merges followed on all sides). */
export function ancestors(graph: AlembicGraph, from: string[]): Set<string> {
  const byId = new Map(graph.revisions.map((r) => [r.revision, r]))
  const out = new Set<string>()
  const stack = from.filter((id) => byId.has(id))
  while (stack.length) {
    const id = stack.pop()!
    if (out.has(id)) continue
    out.add(id)
    stack.push(...(byId.get(id)?.downRevisions ?? []).filter((d) => byId.has(d)))
  }
  return out
}

/** The revisions in an order Alembic could run them: parents first, file order among equals. */
export function upgradeOrder(graph: AlembicGraph): string[] {
  const known = new Set(graph.revisions.map((r) => r.revision))
  const waiting = new Map(graph.revisions.map((r) => [r.revision, r.downRevisions.filter((d) => known.has(d) && d !== r.revision).length]))
  const out: string[] = []
  const done = new Set<string>()
  let progressed = true
  while (progressed) {
    progressed = false
    for (const r of graph.revisions) {
      if (done.has(r.revision) || waiting.get(r.revision)! > 0) continue
      done.add(r.revision)
      out.push(r.revision)
      progressed = true
      for (const c of graph.revisions) if (c.downRevisions.includes(r.revision)) waiting.set(c.revision, waiting.get(c.revision)! - 1)
    }
  }
  // A cycle leaves revisions waiting for ever: listed last, so that none is hidden.
  return [...out, ...graph.revisions.map((r) => r.revision).filter((id) => !done.has(id))]
}

function headsPhrase(n: number): string {
  return n === 1 ? 'one head' : `${n} heads`
}

/**
 * Where the target stands in its Alembic chain: alembic_version read through our own connection,
 * and the revision files' graph (heads, branch points, merges) when their folder is known. The
 * files are read as data, never run.
 */
export async function alembicStatus(db: Kysely<any>, versionsDir: string | null): Promise<AlembicStatus> {
  const version = await readAlembicVersion(db)
  const current = version ?? []
  let graph: AlembicGraph | null = null
  let graphError: string | null = null
  if (versionsDir) {
    try {
      graph = alembicGraph(readAlembicRevisions(versionsDir))
    } catch (e) {
      graphError = `Could not read the revision files in ${versionsDir}: ${(e as Error)?.message ?? e}`
    }
  }
  const applied = graph ? ancestors(graph, current) : new Set<string>()
  const pending = graph ? upgradeOrder(graph).filter((id) => !applied.has(id)) : []
  const unknownCurrent = graph ? current.filter((c) => !graph!.revisions.some((r) => r.revision === c)) : []
  const heads = graph?.heads ?? []
  const atHead = graph ? pending.length === 0 && unknownCurrent.length === 0 : null
  const problems = [...(graph?.problems ?? [])]
  if (unknownCurrent.length) {
    problems.push(
      `The database is at ${unknownCurrent.join(', ')}, which no revision file has: the code is older than the database, or a revision was rewritten. Alembic refuses to upgrade from a revision it cannot locate.`,
    )
  }
  if (current.length > 1) problems.push(`${current.length} heads are applied separately (${current.join(', ')}); a merge revision joins them.`)
  const at = version === null ? ': no alembic_version table' : ` at ${describeRevisions(current)}`
  const filesPart = graph
    ? `; ${headsPhrase(heads.length)} in the files${pending.length ? `, ${pending.length} revision${pending.length === 1 ? '' : 's'} pending` : ', up to date'}`
    : ''
  return {
    versionTable: version !== null,
    current,
    versionsDir,
    graph,
    graphError,
    heads,
    applied: graph ? upgradeOrder(graph).filter((id) => applied.has(id)) : current,
    pending,
    unknownCurrent,
    atHead,
    problems,
    summary: `Alembic${at}${filesPart}.`,
  }
}
