import { describe, expect, it } from 'vitest'
import { type CounterBase, deriveRates } from './rates'
import type { Counters } from './read-target'

const counters = (over: Partial<Counters> = {}): Counters => ({
  xactCommit: 1000,
  xactRollback: 10,
  blksHit: 9900,
  blksRead: 100,
  idxBlksHit: 500,
  idxBlksRead: 0,
  deadlocks: 0,
  tempBytes: 0,
  walLsn: 1_000_000,
  statementCalls: 2000,
  statementTotalMs: 4000,
  ...over,
})
const start = new Date('2026-12-01T00:00:00Z')
const reset = new Date('2026-12-02T00:00:00Z')
const base = (at: string, c: Counters, over: Partial<CounterBase> = {}): CounterBase => ({
  at: new Date(at),
  postmasterStartAt: start,
  statsResetAt: reset,
  statementsResetAt: reset,
  counters: c,
  ...over,
})

describe('deriveRates', () => {
  const prev = base('2026-12-03T10:00:00Z', counters())

  it('turns counter deltas into per-second rates and interval ratios', () => {
    const cur = base('2026-12-03T10:00:15Z', counters({ xactCommit: 1150, xactRollback: 25, blksHit: 10_890, blksRead: 110, walLsn: 1_150_000, statementCalls: 2300, statementTotalMs: 4600, deadlocks: 1 }))
    expect(deriveRates(prev, cur)).toEqual({
      intervalSeconds: 15,
      tps: 11,
      commitsPerSecond: 10,
      rollbacksPerSecond: 1,
      cacheHitRatio: 0.99,
      indexHitRatio: null,
      deadlocks: 1,
      tempBytesPerSecond: 0,
      walBytesPerSecond: 10_000,
      statementCallsPerSecond: 20,
      statementMeanMs: 2,
      // Neither sample kept the dashboard's failure total.
      dashboardFailedQueries: null,
      reset: null,
    })
  })

  it('gives no rate across a server restart (counters back at zero), except the WAL position', () => {
    const cur = base('2026-12-03T10:00:15Z', counters({ xactCommit: 5, xactRollback: 0, blksHit: 10, blksRead: 10, statementCalls: 3, walLsn: 1_300_000 }), {
      postmasterStartAt: new Date('2026-12-03T10:00:05Z'),
    })
    const r = deriveRates(prev, cur)
    expect(r.reset).toBe('restart')
    expect(r).toMatchObject({ tps: null, commitsPerSecond: null, cacheHitRatio: null, statementCallsPerSecond: null, walBytesPerSecond: 20_000 })
  })

  it('gives no rate across pg_stat_reset(), never a negative one', () => {
    const cur = base('2026-12-03T10:00:15Z', counters({ xactCommit: 3, xactRollback: 0 }), { statsResetAt: new Date('2026-12-03T10:00:10Z') })
    const r = deriveRates(prev, cur)
    expect(r.reset).toBe('stats_reset')
    expect(r.tps).toBeNull()
    expect(r.statementCallsPerSecond).toBe(0)
  })

  it('treats a counter that went down without a reset time as reset for that counter alone', () => {
    const r = deriveRates(prev, base('2026-12-03T10:00:15Z', counters({ statementCalls: 1500, statementTotalMs: 3000, xactCommit: 1015 })))
    expect(r.reset).toBe('statements_reset')
    expect(r.statementCallsPerSecond).toBeNull()
    expect(r.statementMeanMs).toBeNull()
    expect(r.commitsPerSecond).toBe(1)
  })

  it("counts the dashboard's failed queries across a server restart and pg_stat_reset(), and gives a gap when its own total went down", () => {
    const p = base('2026-12-03T10:00:00Z', counters({ dashboardFailures: 7 }))
    expect(deriveRates(p, base('2026-12-03T10:00:15Z', counters({ dashboardFailures: 10 }))).dashboardFailedQueries).toBe(3)
    const restarted = deriveRates(p, base('2026-12-03T10:00:15Z', counters({ xactCommit: 2, dashboardFailures: 9 }), { postmasterStartAt: new Date('2026-12-03T10:00:05Z') }))
    expect(restarted).toMatchObject({ reset: 'restart', tps: null, dashboardFailedQueries: 2 })
    const statsReset = deriveRates(p, base('2026-12-03T10:00:15Z', counters({ xactCommit: 2, dashboardFailures: 7 }), { statsResetAt: new Date('2026-12-03T10:00:10Z') }))
    expect(statsReset).toMatchObject({ reset: 'stats_reset', dashboardFailedQueries: 0 })
    // A state database started again counts from zero: unknown, not -5.
    expect(deriveRates(p, base('2026-12-03T10:00:15Z', counters({ dashboardFailures: 2 }))).dashboardFailedQueries).toBeNull()
    // Samples stored before the total was kept have none.
    expect(deriveRates(prev, base('2026-12-03T10:00:15Z', counters({ dashboardFailures: 2 }))).dashboardFailedQueries).toBeNull()
  })

  it('gives no rate after a long silence or from the first sample', () => {
    expect(deriveRates(null, prev).reset).toBe('first')
    const late = deriveRates(prev, base('2026-12-03T11:00:00Z', counters({ xactCommit: 2000 })), 600)
    expect(late.tps).toBeNull()
  })
})
