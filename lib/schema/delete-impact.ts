import type { Kysely } from 'kysely'
import { type ForeignKey, keyEnds, readForeignKeys } from './foreign-keys'
import type { FkAction } from './types'

/** A foreign key as delete impact and the diagrams need it. */
export type ForeignKeyEdge = Pick<ForeignKey, 'name' | 'schema' | 'table' | 'columns' | 'refSchema' | 'refTable' | 'onDelete' | 'validated'>

/** Every foreign key of the database: the graph behind delete impact and diagrams. */
export async function readForeignKeyGraph(db: Kysely<any>): Promise<ForeignKeyEdge[]> {
  return (await readForeignKeys(db)).map((k) => ({ ...keyEnds(k), onDelete: k.onDelete, validated: k.validated }))
}

export type ImpactEffect = 'deletes' | 'sets_null' | 'sets_default' | 'blocks'

export interface ImpactNode {
  schema: string
  table: string
  via: string
  columns: string[]
  onDelete: FkAction
  effect: ImpactEffect
  /** Reached again through a cascade cycle: not expanded a second time. */
  cycle: boolean
  /** Already expanded in another branch of this tree: its consequences are shown there. */
  repeated: boolean
  children: ImpactNode[]
}

const EFFECT: Record<FkAction, ImpactEffect> = {
  CASCADE: 'deletes',
  'SET NULL': 'sets_null',
  'SET DEFAULT': 'sets_default',
  'NO ACTION': 'blocks',
  RESTRICT: 'blocks',
}

const key = (schema: string, table: string) => JSON.stringify([schema, table])

/**
 * What deleting rows of a table does through incoming foreign keys: cascades are followed to
 * the rows they delete; SET NULL/DEFAULT and NO ACTION/RESTRICT end their branch. Each table's
 * cascade is expanded once (later occurrences are marked `repeated`), so a dense graph stays a
 * tree of at most one expansion per table instead of growing with the number of paths.
 */
export function deleteImpact(edges: ForeignKeyEdge[], schema: string, table: string, maxDepth = 12): ImpactNode[] {
  const byParent = new Map<string, ForeignKeyEdge[]>()
  for (const e of edges) {
    const k = key(e.refSchema, e.refTable)
    const list = byParent.get(k)
    if (list) list.push(e)
    else byParent.set(k, [e])
  }
  const expanded = new Set<string>([key(schema, table)])
  const walk = (s: string, t: string, path: Set<string>, depth: number): ImpactNode[] =>
    (byParent.get(key(s, t)) ?? [])
      .slice()
      .sort((a, b) => a.schema.localeCompare(b.schema) || a.table.localeCompare(b.table) || a.name.localeCompare(b.name))
      .map((e) => {
        const effect = EFFECT[e.onDelete]
        const k = key(e.schema, e.table)
        const cycle = path.has(k)
        const repeated = !cycle && effect === 'deletes' && expanded.has(k)
        const expand = effect === 'deletes' && !cycle && !repeated && depth < maxDepth
        if (expand) expanded.add(k)
        return {
          schema: e.schema,
          table: e.table,
          via: e.name,
          columns: e.columns,
          onDelete: e.onDelete,
          effect,
          cycle,
          repeated,
          children: expand ? walk(e.schema, e.table, new Set([...path, k]), depth + 1) : [],
        }
      })
  return walk(schema, table, new Set([key(schema, table)]), 0)
}

/** Tables linked to this one by a foreign key either way: the neighbours a diagram shows. */
export function neighbours(edges: ForeignKeyEdge[], schema: string, table: string): ForeignKeyEdge[] {
  return edges.filter(
    (e) => (e.schema === schema && e.table === table) || (e.refSchema === schema && e.refTable === table),
  )
}
