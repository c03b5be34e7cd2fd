import { describe, expect, it } from 'vitest'
import { WHOLE_HASH_LIMIT_BYTES, workMemForWholeHash } from './hash-memory'

const plan = (rows: number, width = 4) => [
  { Plan: { 'Node Type': 'Aggregate', Plans: [{ 'Node Type': 'Hash Join', Plans: [{ 'Node Type': 'Seq Scan' }, { 'Node Type': 'Hash', 'Plan Rows': rows, 'Plan Width': width }] }] } },
]

describe('workMemForWholeHash', () => {
  it('gives a hash that misses the memory a little enough of it to stay whole', () => {
    // 500,000 keys of 4 bytes: about 25 MB, with hash_mem_multiplier 2 a work_mem of about 15 MB.
    const kb = workMemForWholeHash(plan(500_000), 4096, 2)!
    expect(kb * 1024 * 2).toBeGreaterThanOrEqual(500_000 * 52)
    expect(kb).toBeLessThan(20 * 1024)
  })

  it('keeps the setting for a hash that fits already, one far too large, and a plan without a hash', () => {
    expect(workMemForWholeHash(plan(1_000), 4096, 2)).toBeNull()
    expect(workMemForWholeHash(plan(5_000_000), 4096, 2)).toBeNull()
    expect(workMemForWholeHash(plan(Math.ceil(WHOLE_HASH_LIMIT_BYTES / 52) + 1), 4096, 2)).toBeNull()
    expect(workMemForWholeHash([{ Plan: { 'Node Type': 'Seq Scan' } }], 4096, 2)).toBeNull()
    expect(workMemForWholeHash(undefined, 4096, 2)).toBeNull()
  })
})
