/** The largest hash an early drill scan is given memory to keep whole (see `workMemForWholeHash`). */
export const WHOLE_HASH_LIMIT_BYTES = 64 * 1024 * 1024

// PostgreSQL's own reckoning of a hash table entry beside the tuple: HJTUPLE_OVERHEAD, the minimal
// tuple header and a bucket pointer (nodeHash.c, ExecChooseHashTableSize), rounded up.
const ENTRY_OVERHEAD_BYTES = 48

interface PlanNode {
  'Node Type'?: string
  'Plan Rows'?: number
  'Plan Width'?: number
  Plans?: PlanNode[]
}

function hashNodes(node: PlanNode | undefined): PlanNode[] {
  if (!node) return []
  return [...(node['Node Type'] === 'Hash' ? [node] : []), ...(node.Plans ?? []).flatMap(hashNodes)]
}

/**
 * The work_mem (in kB) under which the hashes of a plan (`EXPLAIN (FORMAT JSON)`'s output) stay
 * whole, when that is more than `workMemKb` and the largest hash is at most WHOLE_HASH_LIMIT_BYTES;
 * otherwise null (keep the setting). A serial anti-join whose parent's keys just miss the memory
 * splits them into batches and writes the whole child side to temporary files as well (measured at
 * scale 500: 500,000 meeting keys in 4 batches, 5 million agenda items written out, 1.96 s of CPU
 * against 1.38 s with the hash whole); a hash that is far larger is split either way, and larger
 * batches were slower there (5 million agenda_item keys: 2.0 s with 4 MB, 2.45 s with 16 or 32 MB).
 */
export function workMemForWholeHash(plan: unknown, workMemKb: number, hashMemMultiplier: number): number | null {
  const root = (Array.isArray(plan) ? plan[0] : plan) as { Plan?: PlanNode } | undefined
  const bytes = Math.max(0, ...hashNodes(root?.Plan).map((h) => (h['Plan Rows'] ?? 0) * ((h['Plan Width'] ?? 0) + ENTRY_OVERHEAD_BYTES)))
  if (bytes === 0 || bytes > WHOLE_HASH_LIMIT_BYTES) return null
  // A quarter more than the estimate: the planner's row estimate for an unanalysed table is rough.
  const kb = Math.ceil((bytes * 1.25) / 1024 / hashMemMultiplier)
  return kb > workMemKb ? kb : null
}
