import type { ForeignKeyEdge } from '@/lib/schema/delete-impact'

/** A neighbouring table in the relationship diagram with the foreign keys that link it. */
export interface DiagramNode {
  schema: string
  table: string
  /** One label per foreign key: its columns on the referencing side. */
  labels: string[]
}

export interface DiagramLayout {
  /** Tables this one references (its foreign keys point there). */
  parents: DiagramNode[]
  /** Tables referencing this one. */
  children: DiagramNode[]
  /** Columns of foreign keys from this table to itself. */
  self: string[]
  hiddenParents: number
  hiddenChildren: number
}

export const DIAGRAM_MAX_NEIGHBOURS = 12

function group(edges: ForeignKeyEdge[], pick: (e: ForeignKeyEdge) => [string, string]): DiagramNode[] {
  const byTable = new Map<string, DiagramNode>()
  for (const e of edges) {
    const [schema, table] = pick(e)
    const k = JSON.stringify([schema, table])
    const node = byTable.get(k) ?? { schema, table, labels: [] }
    node.labels.push(e.columns.join(', '))
    byTable.set(k, node)
  }
  return [...byTable.values()].sort((a, b) => a.schema.localeCompare(b.schema) || a.table.localeCompare(b.table))
}

/**
 * Parents on the left, children on the right, at most `max` boxes in all: each side keeps at
 * least half of the budget when it needs it, and gives what it does not need to the other.
 */
export function diagramLayout(
  edges: ForeignKeyEdge[],
  schema: string,
  table: string,
  max = DIAGRAM_MAX_NEIGHBOURS,
): DiagramLayout {
  const isSelf = (s: string, t: string) => s === schema && t === table
  const outgoing = edges.filter((e) => isSelf(e.schema, e.table) && !isSelf(e.refSchema, e.refTable))
  const incoming = edges.filter((e) => isSelf(e.refSchema, e.refTable) && !isSelf(e.schema, e.table))
  const self = edges.filter((e) => isSelf(e.schema, e.table) && isSelf(e.refSchema, e.refTable)).map((e) => e.columns.join(', '))
  const parents = group(outgoing, (e) => [e.refSchema, e.refTable])
  const children = group(incoming, (e) => [e.schema, e.table])
  const half = Math.floor(max / 2)
  const leftCap = Math.min(parents.length, Math.max(half, max - children.length))
  const rightCap = Math.min(children.length, max - leftCap)
  return {
    parents: parents.slice(0, leftCap),
    children: children.slice(0, rightCap),
    self,
    hiddenParents: parents.length - leftCap,
    hiddenChildren: children.length - rightCap,
  }
}

/** Cuts text to `max` characters with an ellipsis; the full text goes in a <title>. */
export function clip(text: string, max: number): string {
  const chars = Array.from(text)
  return chars.length > max ? chars.slice(0, max - 1).join('') + '…' : text
}
