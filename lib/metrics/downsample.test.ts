import { describe, expect, it } from 'vitest'
import { downsample } from './downsample'

const T0 = Date.parse('2026-11-03T00:00:00Z')
const STEP = 15_000

/** n raw samples every 15 s: a gentle wave, with whatever `at` overrides. */
function raw(n: number, at: Record<number, number | null> = {}) {
  const times = Array.from({ length: n }, (_, i) => T0 + i * STEP)
  const a = times.map((_, i) => (i in at ? at[i] : 50 + 10 * Math.sin(i / 50)))
  const b: (number | null)[] = times.map((_, i) => i % 7)
  return { times, values: { a, b } }
}

describe('downsample', () => {
  it('returns series that already fit unchanged', () => {
    const s = raw(100)
    expect(downsample(s, 60)).toEqual(s)
  })

  it('bounds the points per series at two a bucket plus the exact first and last', () => {
    const out = downsample(raw(10_000), 300)
    expect(out.times.length).toBeLessThanOrEqual(2 * 300 + 2)
    expect(out.times.length).toBeGreaterThan(300)
    expect(out.values.a).toHaveLength(out.times.length)
    expect(out.values.b).toHaveLength(out.times.length)
    // Times stay in order: the chart's x axis.
    expect(out.times.every((t, i) => i === 0 || t >= out.times[i - 1])).toBe(true)
  })

  it('keeps the exact first and last points, time and value', () => {
    const s = raw(10_000, { 0: 12.5, 9_999: 77.25 })
    const out = downsample(s, 300)
    expect(out.times[0]).toBe(s.times[0])
    expect(out.values.a[0]).toBe(12.5)
    expect(out.times.at(-1)).toBe(s.times.at(-1))
    expect(out.values.a.at(-1)).toBe(77.25)
    expect(out.values.b.at(-1)).toBe(s.values.b.at(-1))
  })

  it('keeps a one-sample spike and a one-sample dip that every-n-th-point or averaging would lose', () => {
    const out = downsample(raw(10_000, { 4_321: 900, 7_777: -40 }), 300)
    expect(Math.max(...(out.values.a as number[]))).toBe(900)
    expect(Math.min(...(out.values.a as number[]))).toBe(-40)
    // The spike sits within its bucket's span of time, not elsewhere.
    const i = out.values.a.indexOf(900)
    expect(Math.abs(out.times[i] - (T0 + 4_321 * STEP))).toBeLessThanOrEqual((10_000 / 300) * STEP)
  })

  it('keeps a gap: a row of nulls (a missed sample) is never bridged, and a series null for a whole bucket stays null', () => {
    const s = raw(10_000)
    // Ten silent minutes after sample 5,000, marked by a null row as readSeries marks them.
    for (let i = 5_001; i < s.times.length; i++) s.times[i] += 600_000
    s.times.splice(5_001, 0, s.times[5_000] + STEP)
    s.values.a.splice(5_001, 0, null)
    s.values.b.splice(5_001, 0, null)
    for (let i = 8_000; i < 8_200; i++) s.values.a[i] = null
    const out = downsample(s, 300)
    const gap = out.times.findIndex((_, i) => out.values.a[i] === null && out.values.b[i] === null)
    expect(gap).toBeGreaterThan(0)
    expect(out.times[gap - 1]).toBeLessThanOrEqual(s.times[5_000])
    expect(out.times[gap + 1]).toBeGreaterThan(s.times[5_001])
    // b's values on both sides are there, only the gap row is null.
    expect(out.values.b[gap - 1]).not.toBeNull()
    expect(out.values.b[gap + 1]).not.toBeNull()
    // a was null for 200 samples (six buckets): some of its points in that span are null, b's are not.
    const inSpan = out.times.map((t, i) => i).filter((i) => out.times[i] > s.times[8_040] && out.times[i] < s.times[8_160])
    expect(inSpan.length).toBeGreaterThan(0)
    expect(inSpan.every((i) => out.values.a[i] === null && out.values.b[i] !== null)).toBe(true)
  })

  it('draws each aggregate bucket from its min and max, so an hourly row keeps the spike its average hid', () => {
    const n = 720
    const times = Array.from({ length: n }, (_, i) => T0 + i * 3_600_000)
    const avg = times.map(() => 10)
    const min = times.map(() => 8)
    const max = times.map((_, i) => (i === 300 ? 500 : 12))
    const out = downsample({ times, values: { a: avg }, min: { a: min }, max: { a: max } }, 300)
    expect(out.times.length).toBeLessThanOrEqual(2 * 300 + 2)
    expect(Math.max(...(out.values.a as number[]))).toBe(500)
    expect(Math.min(...(out.values.a as number[]))).toBe(8)
    // First and last are the rows' own averages.
    expect([out.values.a[0], out.values.a.at(-1)]).toEqual([10, 10])
    // Fewer rows than buckets still draw each row's range: two points at its time.
    const few = downsample({ times: times.slice(0, 50), values: { a: avg.slice(0, 50) }, min: { a: min.slice(0, 50) }, max: { a: max.slice(0, 50) } }, 300)
    expect(few.times.length).toBe(2 + 48 * 2)
    expect(few.values.a.slice(1, 3).sort()).toEqual([12, 8])
  })

  it('handles empty and single-point series', () => {
    expect(downsample({ times: [], values: { a: [] } }, 10)).toEqual({ times: [], values: { a: [] } })
    expect(downsample({ times: [T0], values: { a: [1] }, min: { a: [0] }, max: { a: [2] } }, 10)).toEqual({ times: [T0], values: { a: [1] } })
  })
})
