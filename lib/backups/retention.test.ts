import { describe, expect, it } from 'vitest'
import { parseRange } from './http-range'
import { applyRetention, type RetentionCandidate } from './retention'

const now = new Date('2026-12-03T12:00:00Z')
/** One succeeded backup a day at 02:00 for `days` days, newest first, plus extras. */
function daily(days: number, extra: RetentionCandidate[] = []): RetentionCandidate[] {
  const out: RetentionCandidate[] = Array.from({ length: days }, (_, i) => ({
    id: `d${i}`,
    startedAt: new Date(Date.UTC(2026, 11, 3 - i, 2)),
    status: 'succeeded' as const,
  }))
  return [...out, ...extra]
}

describe('applyRetention', () => {
  it('keeps 7 daily and 4 weekly out of 60 days of backups', () => {
    const d = applyRetention(daily(60), { keepDaily: 7, keepWeekly: 4 }, now)
    const kept = d.keep.map((k) => k.id)
    expect(kept.slice(0, 7)).toEqual(['d0', 'd1', 'd2', 'd3', 'd4', 'd5', 'd6'])
    // 2026-12-03 is a Thursday: weeks 49 (d0), 48 (newest Sunday d4), 47 (d11), 46 (d18).
    expect(kept).toEqual(['d0', 'd1', 'd2', 'd3', 'd4', 'd5', 'd6', 'd11', 'd18'])
    expect(d.keep.find((k) => k.id === 'd0')!.reasons).toEqual(expect.arrayContaining(['daily 2026-12-03', 'weekly 2026-W49', 'newest successful backup']))
    expect(d.delete.length).toBe(60 - kept.length)
  })

  it('keeps the last N and everything within a number of days; never a running one; the newest success always', () => {
    const d = applyRetention(daily(10, [{ id: 'run', startedAt: now, status: 'running' }]), { keepLast: 2, keepWithinDays: 4 }, now)
    expect(d.keep.map((k) => k.id).sort()).toEqual(['d0', 'd1', 'd2', 'd3', 'run'])
    expect(applyRetention(daily(3), { keepDaily: 0, keepWeekly: 0, keepMonthly: 1 }, now).keep.map((k) => k.id)).toEqual(['d0'])
  })

  it('deletes failed backups older than a success, keeps newer ones to show', () => {
    const d = applyRetention(
      daily(2, [
        { id: 'old-fail', startedAt: new Date('2026-11-01T00:00:00Z'), status: 'failed' },
        { id: 'new-fail', startedAt: new Date('2026-12-03T11:00:00Z'), status: 'failed' },
      ]),
      { keepLast: 5 },
      now,
    )
    expect(d.delete).toEqual([{ id: 'old-fail', reason: 'failed, and a newer backup succeeded' }])
    expect(d.keep.map((k) => k.id)).toContain('new-fail')
  })

  it('refuses a policy that keeps nothing or is not whole numbers', () => {
    expect(() => applyRetention(daily(1), {}, now)).toThrow(/must keep something/)
    expect(() => applyRetention(daily(1), { keepLast: -1 }, now)).toThrow(/keepLast/)
    expect(() => applyRetention(daily(1), { keepDaily: 1.5 }, now)).toThrow(/keepDaily/)
  })
})

describe('parseRange', () => {
  it('reads one byte range, suffixes and open ends, and tells unsatisfiable ones', () => {
    expect(parseRange('bytes=0-99', 1000)).toEqual({ start: 0, end: 99 })
    expect(parseRange('bytes=900-', 1000)).toEqual({ start: 900, end: 999 })
    expect(parseRange('bytes=-100', 1000)).toEqual({ start: 900, end: 999 })
    expect(parseRange('bytes=-5000', 1000)).toEqual({ start: 0, end: 999 })
    expect(parseRange('bytes=990-5000', 1000)).toEqual({ start: 990, end: 999 })
    expect(parseRange('bytes=1000-', 1000)).toBe('unsatisfiable')
    expect(parseRange('bytes=-0', 1000)).toBe('unsatisfiable')
  })

  it('ignores what it may ignore: no header, other units, several ranges, nonsense', () => {
    for (const h of [undefined, null, '', 'items=0-1', 'bytes=0-1,5-6', 'bytes=5-1', 'bytes=a-b', 'bytes=-']) expect(parseRange(h, 1000)).toBeNull()
  })
})
