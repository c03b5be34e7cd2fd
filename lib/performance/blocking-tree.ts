/**
 * Blocking chains as a tree. pg_blocking_pids lists every session a waiter waits for, including
 * the waiters queued ahead of it for the same lock: in a queue of 50 sessions the last one lists
 * 49. Putting a waiter under every blocker would repeat whole subtrees (exponentially in a
 * queue), so each waiter hangs under one parent, the blocker that is itself deepest in the chain
 * (the session just ahead of it in the queue), and keeps the full list in `blockedBy`.
 */

export interface BlockingInput {
  pid: number
  blockedBy: number[]
}

export interface BlockingNode {
  pid: number
  /** Every pid this session waits for, as pg_blocking_pids reported it. */
  blockedBy: number[]
  /** How many sessions wait behind this one, directly or further down. */
  waitingBehind: number
  depth: number
  children: BlockingNode[]
}

export interface BlockingForest {
  roots: BlockingNode[]
  /** pid → the root blocker at the top of its chain, for every waiting session. */
  rootOf: Map<number, number>
}

export function buildBlockingForest(sessions: BlockingInput[]): BlockingForest {
  const blockers = new Map<number, number[]>()
  for (const s of sessions) if (s.blockedBy.length) blockers.set(s.pid, [...new Set(s.blockedBy)].filter((p) => p !== s.pid))
  const involved = new Set<number>()
  for (const [pid, by] of blockers) {
    involved.add(pid)
    for (const b of by) involved.add(b)
  }

  // Depth = 1 + the deepest blocker's depth; a blocker met again while it is still being resolved
  // closes a cycle, and becomes a root so that the tree stays finite.
  const depth = new Map<number, number>()
  const parent = new Map<number, number>()
  const resolving = new Set<number>()
  const cyclic = new Set<number>()
  const resolve = (pid: number): number => {
    const known = depth.get(pid)
    if (known !== undefined) return known
    if (resolving.has(pid)) {
      cyclic.add(pid)
      return 0
    }
    resolving.add(pid)
    let best = -1
    let bestPid: number | undefined
    for (const b of blockers.get(pid) ?? []) {
      const d = resolve(b)
      if (d > best || (d === best && bestPid !== undefined && b < bestPid)) {
        best = d
        bestPid = b
      }
    }
    resolving.delete(pid)
    if (cyclic.has(pid) || bestPid === undefined) {
      depth.set(pid, 0)
    } else {
      depth.set(pid, best + 1)
      parent.set(pid, bestPid)
    }
    return depth.get(pid)!
  }
  for (const pid of [...involved].sort((a, b) => a - b)) resolve(pid)

  const nodes = new Map<number, BlockingNode>()
  for (const pid of involved) {
    nodes.set(pid, { pid, blockedBy: blockers.get(pid) ?? [], waitingBehind: 0, depth: depth.get(pid) ?? 0, children: [] })
  }
  const roots: BlockingNode[] = []
  for (const pid of [...involved].sort((a, b) => a - b)) {
    const p = parent.get(pid)
    // A parent that is part of a cycle has depth 0 yet is blocked; it still roots its subtree.
    if (p !== undefined && nodes.has(p)) nodes.get(p)!.children.push(nodes.get(pid)!)
    else roots.push(nodes.get(pid)!)
  }
  const count = (n: BlockingNode): number => {
    n.waitingBehind = n.children.reduce((sum, c) => sum + 1 + count(c), 0)
    return n.waitingBehind
  }
  const rootOf = new Map<number, number>()
  const mark = (n: BlockingNode, root: number) => {
    for (const c of n.children) {
      rootOf.set(c.pid, root)
      mark(c, root)
    }
  }
  for (const r of roots) {
    count(r)
    mark(r, r.pid)
  }
  // A root that is itself blocked closes a wait cycle (a deadlock not yet broken by the server).
  return { roots, rootOf }
}
