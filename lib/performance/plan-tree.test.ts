import { describe, expect, it } from 'vitest'
import { parsePlan } from './plan-tree'

const nestedLoop = {
  Plan: {
    'Node Type': 'Nested Loop', 'Join Type': 'Inner', 'Startup Cost': 0, 'Total Cost': 100, 'Plan Rows': 10, 'Plan Width': 8,
    'Actual Startup Time': 0.1, 'Actual Total Time': 30, 'Actual Rows': 1000, 'Actual Loops': 1,
    Plans: [
      { 'Node Type': 'Seq Scan', 'Parent Relationship': 'Outer', 'Relation Name': 'a', Schema: 'public', Alias: 'a',
        'Startup Cost': 0, 'Total Cost': 20, 'Plan Rows': 10, 'Plan Width': 4,
        'Actual Startup Time': 0, 'Actual Total Time': 2, 'Actual Rows': 10, 'Actual Loops': 1, Filter: '(x > 1)', 'Rows Removed by Filter': 5 },
      { 'Node Type': 'Index Scan', 'Parent Relationship': 'Inner', 'Relation Name': 'b', Schema: 'public', 'Index Name': 'b_pkey',
        'Startup Cost': 0, 'Total Cost': 8, 'Plan Rows': 1, 'Plan Width': 4,
        'Actual Startup Time': 0, 'Actual Total Time': 2.5, 'Actual Rows': 100, 'Actual Loops': 10 },
      { 'Node Type': 'Seq Scan', 'Parent Relationship': 'SubPlan', 'Relation Name': 'c', 'Startup Cost': 0, 'Total Cost': 1,
        'Plan Rows': 500, 'Plan Width': 4, 'Actual Loops': 0 },
    ],
  },
  'Planning Time': 0.2,
  'Execution Time': 30.5,
  Settings: { random_page_cost: '1.1' },
}

describe('parsePlan', () => {
  it('measures time over loops, marks the costliest node and the estimate misses', () => {
    const p = parsePlan([nestedLoop])
    const [a, b, c] = p.root.children
    expect(p).toMatchObject({ analyzed: true, planningMs: 0.2, executionMs: 30.5, nodeCount: 4, writes: [], settings: { random_page_cost: '1.1' } })
    expect(b.inclusiveMs).toBe(25)
    expect(p.root.exclusiveMs).toBe(3)
    expect(b.costliest).toBe(true)
    expect(p.costliest).toEqual({ id: 2, nodeType: 'Index Scan', relation: 'b', share: 25 / 30 })
    // Never executed: no actual facts and no miss, whatever its estimate.
    expect(c.actual).toBeNull()
    expect(c.misestimate).toBeNull()
    expect(a.details).toEqual({ Filter: '(x > 1)', 'Rows Removed by Filter': 5 })
    expect(a.misestimate).toBeNull()
    expect(p.misses).toEqual([
      { id: 0, nodeType: 'Nested Loop', relation: null, estimatedRows: 10, actualRows: 1000, factor: 100, direction: 'under' },
      { id: 2, nodeType: 'Index Scan', relation: 'b', estimatedRows: 1, actualRows: 100, factor: 100, direction: 'under' },
    ])
  })

  it('weighs a plain plan by exclusive cost and notes writes', () => {
    const p = parsePlan({
      Plan: {
        'Node Type': 'ModifyTable', Operation: 'Delete', 'Relation Name': 't', 'Startup Cost': 0, 'Total Cost': 50, 'Plan Rows': 0, 'Plan Width': 0,
        Plans: [{ 'Node Type': 'Seq Scan', 'Relation Name': 't', 'Startup Cost': 0, 'Total Cost': 45, 'Plan Rows': 900, 'Plan Width': 6 }],
      },
    })
    expect(p.analyzed).toBe(false)
    expect(p.costliest).toEqual({ id: 1, nodeType: 'Seq Scan', relation: 't', share: 0.9 })
    expect(p.root.exclusiveCost).toBe(5)
    expect(p.writes).toEqual(['Delete on t'])
    expect(p.misses).toEqual([])
  })

  it('calls an overestimate over, and refuses what is not a plan', () => {
    const p = parsePlan({ Plan: { 'Node Type': 'Seq Scan', 'Startup Cost': 0, 'Total Cost': 1, 'Plan Rows': 5000, 'Plan Width': 4, 'Actual Startup Time': 0, 'Actual Total Time': 1, 'Actual Rows': 0, 'Actual Loops': 1 } })
    expect(p.root.misestimate).toEqual({ factor: 5000, direction: 'over' })
    expect(() => parsePlan({ rows: [] })).toThrow('Not an EXPLAIN (FORMAT JSON) result.')
  })
})
