import { describe, expect, it } from 'vitest'
import { type BlockingNode, buildBlockingForest } from './blocking-tree'

const shape = (n: BlockingNode): unknown => ({ pid: n.pid, behind: n.waitingBehind, children: n.children.map(shape) })

describe('buildBlockingForest', () => {
  it('has no roots when nobody waits', () => {
    expect(buildBlockingForest([{ pid: 1, blockedBy: [] }, { pid: 2, blockedBy: [] }]).roots).toEqual([])
  })

  it('hangs each waiter under the deepest of its blockers: a lock queue becomes a chain, not a blow-up', () => {
    // Holder 1; waiters 2..51 queued for the same exclusive lock, each blocked by everyone ahead.
    const sessions = [{ pid: 1, blockedBy: [] as number[] }]
    for (let pid = 2; pid <= 51; pid++) sessions.push({ pid, blockedBy: Array.from({ length: pid - 1 }, (_, i) => i + 1) })
    const forest = buildBlockingForest(sessions)
    expect(forest.roots.map((r) => r.pid)).toEqual([1])
    let node = forest.roots[0]
    for (let pid = 2; pid <= 51; pid++) {
      expect(node.children.map((c) => c.pid)).toEqual([pid])
      node = node.children[0]
      expect(node.depth).toBe(pid - 1)
      expect(node.blockedBy).toHaveLength(pid - 1)
    }
    expect(forest.roots[0].waitingBehind).toBe(50)
    expect(forest.rootOf.get(51)).toBe(1)
    expect(forest.rootOf.has(1)).toBe(false)
  })

  it('keeps separate chains apart and lists blockers outside the given sessions', () => {
    const forest = buildBlockingForest([
      { pid: 10, blockedBy: [] },
      { pid: 11, blockedBy: [10] },
      { pid: 12, blockedBy: [10] },
      { pid: 13, blockedBy: [12] },
      // Blocked by a process the list does not hold (another database's session, a prepared transaction).
      { pid: 20, blockedBy: [99] },
    ])
    expect(forest.roots.map(shape)).toEqual([
      { pid: 10, behind: 3, children: [{ pid: 11, behind: 0, children: [] }, { pid: 12, behind: 1, children: [{ pid: 13, behind: 0, children: [] }] }] },
      { pid: 99, behind: 1, children: [{ pid: 20, behind: 0, children: [] }] },
    ])
    expect(Object.fromEntries(forest.rootOf)).toEqual({ 11: 10, 12: 10, 13: 10, 20: 99 })
  })

  it('stays finite on a wait cycle (a deadlock not yet broken)', () => {
    const forest = buildBlockingForest([
      { pid: 1, blockedBy: [2] },
      { pid: 2, blockedBy: [1] },
      { pid: 3, blockedBy: [2] },
    ])
    expect(forest.roots).toHaveLength(1)
    const root = forest.roots[0]
    // The root of a cycle is itself blocked: the page shows it as such.
    expect(root.blockedBy.length).toBe(1)
    expect(root.waitingBehind).toBe(2)
  })
})
