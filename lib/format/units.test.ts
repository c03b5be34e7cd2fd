import { describe, expect, it } from 'vitest'
import { formatBytes, formatDuration, formatMs } from './units'

describe('formatMs: the one duration format of runs, steps and checks', () => {
  it('keeps whole milliseconds under a second, tenths under a minute', () => {
    expect(formatMs(0)).toBe('0 ms')
    expect(formatMs(12.6)).toBe('13 ms')
    expect(formatMs(999.4)).toBe('999 ms')
    expect(formatMs(1000)).toBe('1.0 s')
    expect(formatMs(59_940)).toBe('59.9 s')
  })

  it('shows minutes with their seconds under an hour, then hours and minutes', () => {
    expect(formatMs(60_000)).toBe('1 min 0 s')
    expect(formatMs(125_400)).toBe('2 min 5 s')
    expect(formatMs(3_599_400)).toBe('59 min 59 s')
    expect(formatMs(3_599_600)).toBe('1 h 0 min')
    expect(formatMs(3_600_000)).toBe('1 h 0 min')
    expect(formatMs(90_061_000)).toBe('1 d 1 h')
  })

  it('says – for what has no duration', () => {
    expect(formatMs(null)).toBe('–')
    expect(formatMs(undefined)).toBe('–')
    expect(formatMs(Number.NaN)).toBe('–')
  })
})

describe('the other units', () => {
  it('formats sizes and durations in seconds', () => {
    expect(formatBytes(512)).toBe('512 B')
    expect(formatBytes(1536)).toBe('1.5 kB')
    expect(formatDuration(61)).toBe('1 min')
  })
})
