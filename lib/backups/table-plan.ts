import { BackupError } from './backup-error'
import type { TocEntry } from './toc'

/** One archive entry a single-table restore includes, leaves to the destination, or skips. */
export interface PlannedEntry {
  id: number
  type: string
  schema: string | null
  name: string | null
  /** table: the table itself; part: its data, defaults, keys, indexes, triggers, owned sequences, comments, grants; needs: what it depends on. */
  role: 'table' | 'part' | 'needs'
}

export interface SkippedEntry {
  type: string
  schema: string | null
  name: string | null
  reason: string
}

export interface TablePlan {
  /** In archive order, which respects dependencies: types and functions, sequences, the table, its data, then indexes and constraints. */
  include: PlannedEntry[]
  /** Dependencies that the destination already has, left as they are. */
  present: PlannedEntry[]
  skipped: SkippedEntry[]
}

/** Ask the destination whether an object an entry would create is already there. */
export type ExistsCheck = (e: TocEntry, tableOf: (e: TocEntry) => TocEntry | undefined) => Promise<boolean>

// Kinds of object the table may need that are safe to create beside it: they belong to no other table.
const NEEDED_KINDS = new Set([
  'SCHEMA', 'EXTENSION', 'TYPE', 'SHELL TYPE', 'DOMAIN', 'FUNCTION', 'PROCEDURE', 'AGGREGATE', 'COLLATION', 'SEQUENCE',
  'OPERATOR', 'OPERATOR CLASS', 'OPERATOR FAMILY', 'CONVERSION', 'TEXT SEARCH CONFIGURATION', 'TEXT SEARCH DICTIONARY',
  'TEXT SEARCH PARSER', 'TEXT SEARCH TEMPLATE', 'CAST', 'PROCEDURAL LANGUAGE',
])
// Entries that belong to the table (they depend on it directly).
const PART_KINDS = new Set([
  'TABLE DATA', 'DEFAULT', 'CONSTRAINT', 'CHECK CONSTRAINT', 'INDEX', 'TRIGGER', 'FK CONSTRAINT', 'COMMENT', 'ACL',
  'SEQUENCE', 'POLICY', 'ROW SECURITY', 'RULE', 'STATISTICS', 'SECURITY LABEL',
])
// Entries that belong to one of the table's parts (an owned sequence's value, a comment on an index).
const PART_OF_PART_KINDS = new Set(['SEQUENCE OWNED BY', 'SEQUENCE SET', 'COMMENT', 'ACL', 'SECURITY LABEL'])
// Session settings every restore needs.
const SPECIAL = new Set(['ENCODING', 'STDSTRINGS', 'SEARCHPATH'])

/**
 * Chooses what a single-table restore runs: `pg_restore -t` alone restores the bare table, which
 * fails where its enum types or sequences are missing and leaves out its keys and indexes. This
 * takes the table, every entry that belongs to it, and (transitively) every type, function and
 * sequence they depend on that the destination lacks; a foreign key whose referenced table is not
 * in the destination is skipped and said so.
 */
export async function planTableRestore(
  entries: TocEntry[],
  schema: string,
  table: string,
  exists: ExistsCheck,
  opts: { skipForeignKeys?: string } = {},
): Promise<TablePlan> {
  const byId = new Map(entries.map((e) => [e.id, e]))
  const dependents = new Map<number, TocEntry[]>()
  for (const e of entries) for (const d of e.deps) dependents.set(d, [...(dependents.get(d) ?? []), e])
  const tableOf = (e: TocEntry): TocEntry | undefined =>
    e.desc === 'TABLE' ? e : e.deps.map((d) => byId.get(d)).find((d) => d?.desc === 'TABLE')

  const t = entries.find((e) => e.desc === 'TABLE' && e.schema === schema && e.name === table)
  if (!t) {
    const dataOnly = entries.some((e) => e.desc === 'TABLE DATA') && !entries.some((e) => e.desc === 'TABLE')
    throw new BackupError(
      dataOnly ? 'invalid_input' : 'not_found',
      dataOnly
        ? 'A data-only backup holds no table definitions: restore a single table from a full or schema backup.'
        : `The backup holds no table ${JSON.stringify(schema)}.${JSON.stringify(table)}.`,
    )
  }

  /** For a foreign key: the table it references (the one that is not its own), via the referenced key. */
  const referencedTable = (fk: TocEntry): TocEntry | undefined => {
    const key = fk.deps.map((d) => byId.get(d)).find((d) => d && (d.desc === 'CONSTRAINT' || d.desc === 'INDEX'))
    return key ? tableOf(key) : undefined
  }

  const selected = new Map<number, PlannedEntry['role']>([[t.id, 'table']])
  const skipped: SkippedEntry[] = []
  const queue: TocEntry[] = [t]
  while (queue.length) {
    const x = queue.shift()!
    for (const e of dependents.get(x.id) ?? []) {
      if (selected.has(e.id)) continue
      const kinds = x === t ? PART_KINDS : PART_OF_PART_KINDS
      if (!kinds.has(e.desc)) continue
      if (e.desc === 'FK CONSTRAINT' && x === t) {
        const ref = referencedTable(e)
        const own = e.deps.map((d) => byId.get(d)).filter((d) => d?.desc === 'TABLE')
        // Referenced from another table: that table's key, not this one's.
        if (ref === t && own.some((o) => o !== t)) continue
        if (opts.skipForeignKeys) {
          skipped.push({ type: e.desc, schema: e.schema, name: e.name, reason: opts.skipForeignKeys })
          continue
        }
        if (ref && ref !== t && !(await exists(ref, tableOf))) {
          skipped.push({ type: e.desc, schema: e.schema, name: e.name, reason: `references ${ref.schema}.${ref.name}, which the destination does not have` })
          continue
        }
      }
      selected.set(e.id, 'part')
      queue.push(e)
    }
  }

  // What the chosen entries need, transitively, stopping at what the destination already has.
  const present = new Map<number, PlannedEntry>()
  const need = [...selected.keys()].flatMap((id) => byId.get(id)!.deps)
  while (need.length) {
    const id = need.shift()!
    if (selected.has(id) || present.has(id)) continue
    const d = byId.get(id)
    if (!d) continue
    if (!NEEDED_KINDS.has(d.desc)) continue // another table or its key: checked above for foreign keys
    if (await exists(d, tableOf)) {
      present.set(id, plan(d, 'needs'))
      continue
    }
    selected.set(id, 'needs')
    need.push(...d.deps)
  }

  const include = entries.filter((e) => selected.has(e.id) || SPECIAL.has(e.desc)).map((e) => plan(e, selected.get(e.id) ?? 'needs'))
  return { include, present: [...present.values()], skipped }
}

function plan(e: TocEntry, role: PlannedEntry['role']): PlannedEntry {
  return { id: e.id, type: e.desc, schema: e.schema, name: e.name, role }
}

/** The -L list file that makes pg_restore run exactly these entries, in this order. */
export function listFile(plan: TablePlan): string {
  return plan.include.map((e) => `${e.id};\n`).join('')
}
