import { describe, expect, it } from 'vitest'
import { rowsToShow } from './findings'

const f = (name: string, count: number | null, error?: string) => ({ name, count, error })

describe('rowsToShow', () => {
  it('lists problems first, keeps the run order otherwise, and counts what it leaves out', () => {
    const findings = [f('a', 0), f('b', 3), f('c', 0), f('d', null, 'timeout'), f('e', 1)]
    expect(rowsToShow(findings, 10)).toEqual({ rows: [f('b', 3), f('d', null, 'timeout'), f('e', 1), f('a', 0), f('c', 0)], hidden: 0 })
    expect(rowsToShow(findings, 2)).toEqual({ rows: [f('b', 3), f('d', null, 'timeout')], hidden: 3 })
    expect(rowsToShow(findings, Infinity).hidden).toBe(0)
    expect(rowsToShow([], 5)).toEqual({ rows: [], hidden: 0 })
  })

  it('never hides a problem while an ok row is listed', () => {
    const many = Array.from({ length: 5000 }, (_, i) => f(`t${i}`, i % 1000 === 999 ? 7 : 0))
    const { rows, hidden } = rowsToShow(many, 200)
    expect(rows).toHaveLength(200)
    expect(hidden).toBe(4800)
    expect(rows.slice(0, 5).every((r) => r.count === 7)).toBe(true)
    expect(rows.slice(5).every((r) => r.count === 0)).toBe(true)
    expect(rows[5].name).toBe('t0')
  })
})
