import { THRESHOLDS } from './thresholds'

/** EXPLAIN (FORMAT JSON) as a tree the page can draw, with the facts a reader looks for. */
export interface PlanNode {
  /** Position in a depth-first walk, 0 for the root: stable within one plan. */
  id: number
  nodeType: string
  /** "Insert", "Update", "Delete" on ModifyTable nodes. */
  operation: string | null
  schema: string | null
  relation: string | null
  alias: string | null
  index: string | null
  joinType: string | null
  /** How the parent uses it: Outer, Inner, InitPlan, SubPlan, … */
  parentRelationship: string | null
  subplanName: string | null
  startupCost: number
  totalCost: number
  /** Estimated rows per loop. */
  planRows: number
  planWidth: number
  /** Set with ANALYZE; null for a plain EXPLAIN and for nodes never executed. */
  actual: { startupMs: number; totalMs: number; rows: number; loops: number } | null
  /** Time in this node and below, over all loops. */
  inclusiveMs: number | null
  /** Time in this node alone (inclusive minus its children's), never below zero. */
  exclusiveMs: number | null
  /** Total cost minus the children's: where the planner expects the work. */
  exclusiveCost: number
  /** Estimated and actual rows per loop differ by at least planMissFactor. */
  misestimate: { factor: number; direction: 'under' | 'over' } | null
  buffers: { sharedHit: number; sharedRead: number; sharedDirtied: number; sharedWritten: number; tempRead: number; tempWritten: number } | null
  /** Conditions, keys and counters: "Filter", "Index Cond", "Rows Removed by Filter", … */
  details: Record<string, unknown>
  /** The node with the most exclusive time (ANALYZE) or cost (plain EXPLAIN). */
  costliest: boolean
  children: PlanNode[]
}

export interface PlanMiss {
  id: number
  nodeType: string
  relation: string | null
  estimatedRows: number
  actualRows: number
  factor: number
  direction: 'under' | 'over'
}

export interface ParsedPlan {
  root: PlanNode
  analyzed: boolean
  planningMs: number | null
  executionMs: number | null
  totalCost: number
  costliest: { id: number; nodeType: string; relation: string | null; share: number } | null
  misses: PlanMiss[]
  /** Data-modifying nodes (ModifyTable) and row locks (LockRows) anywhere in the plan. */
  writes: string[]
  nodeCount: number
  /** Planner settings changed from their defaults (EXPLAIN SETTINGS). */
  settings: Record<string, string>
}

/** Keys turned into fields of PlanNode; everything else goes to details. */
const FIELDS = new Set([
  'Node Type', 'Operation', 'Schema', 'Relation Name', 'Alias', 'Index Name', 'Join Type', 'Parent Relationship',
  'Subplan Name', 'Startup Cost', 'Total Cost', 'Plan Rows', 'Plan Width', 'Actual Startup Time', 'Actual Total Time',
  'Actual Rows', 'Actual Loops', 'Plans', 'Shared Hit Blocks', 'Shared Read Blocks', 'Shared Dirtied Blocks',
  'Shared Written Blocks', 'Temp Read Blocks', 'Temp Written Blocks', 'Parallel Aware', 'Async Capable',
])

type Json = Record<string, any>

export function parsePlan(explainJson: unknown, missFactor: number = THRESHOLDS.planMissFactor.value): ParsedPlan {
  const top = (Array.isArray(explainJson) ? explainJson[0] : explainJson) as Json | undefined
  if (!top || typeof top !== 'object' || !top.Plan) throw new Error('Not an EXPLAIN (FORMAT JSON) result.')
  let nextId = 0
  const all: PlanNode[] = []
  const writes: string[] = []

  const walk = (p: Json): PlanNode => {
    const id = nextId++
    const children = ((p.Plans as Json[] | undefined) ?? []).map(walk)
    const loops = p['Actual Loops'] as number | undefined
    const actual =
      loops !== undefined && loops > 0
        ? { startupMs: p['Actual Startup Time'], totalMs: p['Actual Total Time'], rows: p['Actual Rows'], loops }
        : null
    const inclusiveMs = actual ? actual.totalMs * actual.loops : null
    const childMs = children.reduce((sum, c) => sum + (c.inclusiveMs ?? 0), 0)
    const childCost = children.reduce((sum, c) => sum + c.totalCost, 0)
    const hasBuffers = 'Shared Hit Blocks' in p
    const details: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(p)) if (!FIELDS.has(k)) details[k] = v
    if (p['Node Type'] === 'ModifyTable') writes.push(`${p.Operation ?? 'a write'}${p['Relation Name'] ? ` on ${p['Relation Name']}` : ''}`)
    if (p['Node Type'] === 'LockRows') writes.push('row locks (FOR UPDATE/SHARE)')
    const node: PlanNode = {
      id,
      nodeType: p['Node Type'],
      operation: p.Operation ?? null,
      schema: p.Schema ?? null,
      relation: p['Relation Name'] ?? null,
      alias: p.Alias ?? null,
      index: p['Index Name'] ?? null,
      joinType: p['Join Type'] ?? null,
      parentRelationship: p['Parent Relationship'] ?? null,
      subplanName: p['Subplan Name'] ?? null,
      startupCost: p['Startup Cost'],
      totalCost: p['Total Cost'],
      planRows: p['Plan Rows'],
      planWidth: p['Plan Width'],
      actual,
      inclusiveMs,
      exclusiveMs: inclusiveMs === null ? null : Math.max(0, inclusiveMs - childMs),
      exclusiveCost: Math.max(0, p['Total Cost'] - childCost),
      misestimate: actual ? misestimate(p['Plan Rows'], actual.rows, missFactor) : null,
      buffers: hasBuffers
        ? {
            sharedHit: p['Shared Hit Blocks'] ?? 0,
            sharedRead: p['Shared Read Blocks'] ?? 0,
            sharedDirtied: p['Shared Dirtied Blocks'] ?? 0,
            sharedWritten: p['Shared Written Blocks'] ?? 0,
            tempRead: p['Temp Read Blocks'] ?? 0,
            tempWritten: p['Temp Written Blocks'] ?? 0,
          }
        : null,
      details,
      costliest: false,
      children,
    }
    all.push(node)
    return node
  }

  const root = walk(top.Plan)
  const analyzed = all.some((n) => n.actual !== null)
  const weight = (n: PlanNode) => (analyzed ? (n.exclusiveMs ?? 0) : n.exclusiveCost)
  const total = analyzed ? (root.inclusiveMs ?? 0) : root.totalCost
  let costliest: PlanNode | null = null
  for (const n of all) if (!costliest || weight(n) > weight(costliest)) costliest = n
  if (costliest && weight(costliest) > 0) costliest.costliest = true
  else costliest = null

  const misses = all
    .filter((n) => n.misestimate)
    .sort((a, b) => a.id - b.id)
    .map((n) => ({
      id: n.id,
      nodeType: n.nodeType,
      relation: n.relation,
      estimatedRows: n.planRows,
      actualRows: n.actual!.rows,
      factor: n.misestimate!.factor,
      direction: n.misestimate!.direction,
    }))

  return {
    root,
    analyzed,
    planningMs: top['Planning Time'] ?? null,
    executionMs: top['Execution Time'] ?? null,
    totalCost: root.totalCost,
    costliest: costliest
      ? { id: costliest.id, nodeType: costliest.nodeType, relation: costliest.relation, share: total > 0 ? weight(costliest) / total : 0 }
      : null,
    misses,
    writes,
    nodeCount: all.length,
    settings: (top.Settings as Record<string, string> | undefined) ?? {},
  }
}

/** Rows are compared per loop, as EXPLAIN reports both; zero counts as one so that 0 vs 1 is no miss. */
function misestimate(planRows: number, actualRows: number, factor: number): PlanNode['misestimate'] {
  const est = Math.max(planRows, 1)
  const act = Math.max(actualRows, 1)
  const f = Math.max(est / act, act / est)
  if (f < factor) return null
  return { factor: Math.round(f * 10) / 10, direction: act > est ? 'under' : 'over' }
}
