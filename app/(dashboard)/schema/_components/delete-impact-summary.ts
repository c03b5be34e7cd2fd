import { plural } from '@/lib/format/units'
import type { ImpactEffect, ImpactNode } from '@/lib/schema/delete-impact'

export type ImpactCounts = Record<ImpactEffect, number> & { nodes: number }

/** Distinct tables per effect over the whole tree, and how many branches it has. */
export function summarizeImpact(tree: ImpactNode[]): ImpactCounts {
  const tables: Record<ImpactEffect, Set<string>> = {
    deletes: new Set(),
    sets_null: new Set(),
    sets_default: new Set(),
    blocks: new Set(),
  }
  let nodes = 0
  const visit = (list: ImpactNode[]) => {
    for (const n of list) {
      nodes++
      tables[n.effect].add(JSON.stringify([n.schema, n.table]))
      visit(n.children)
    }
  }
  visit(tree)
  return {
    deletes: tables.deletes.size,
    sets_null: tables.sets_null.size,
    sets_default: tables.sets_default.size,
    blocks: tables.blocks.size,
    nodes,
  }
}


export function impactSentence(c: ImpactCounts): string {
  const parts = [
    `cascades to ${plural(c.deletes, 'table')}`,
    `sets NULL in ${c.sets_null}`,
    ...(c.sets_default ? [`sets defaults in ${c.sets_default}`] : []),
    `is blocked by ${c.blocks}`,
  ]
  return `Deleting a row here ${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}.`
}

export interface ShownImpactNode extends Omit<ImpactNode, 'children'> {
  children: ShownImpactNode[]
  /** Children not shown because the budget ran out. */
  hidden: number
}

/**
 * The first `max` branches in reading order (depth first). Wide graphs with shared descendants
 * repeat subtrees, and a page of ten thousand list items helps no one.
 */
export function pruneImpact(tree: ImpactNode[], max: number): { shown: ShownImpactNode[]; hidden: number } {
  let left = max
  const take = (list: ImpactNode[]): { shown: ShownImpactNode[]; hidden: number } => {
    const shown: ShownImpactNode[] = []
    for (const n of list) {
      if (left <= 0) break
      left--
      const kids = take(n.children)
      shown.push({ ...n, children: kids.shown, hidden: kids.hidden })
    }
    return { shown, hidden: list.length - shown.length }
  }
  return take(tree)
}
