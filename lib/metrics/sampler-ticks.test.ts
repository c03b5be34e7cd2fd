import { describe, expect, it } from 'vitest'
import { configuredSchedules } from '../jobs/schedule-config'
import { samplerCron, ticksToSample } from './sampler-ticks'

const minute = Date.UTC(2026, 11, 3, 15, 40)
const at = (s: number) => minute + s * 1000

describe('ticksToSample', () => {
  it('samples at the multiples of the interval left in the minute, catching up the newest missed one when the next is far', () => {
    expect(ticksToSample(at(0), 15)).toEqual([at(0), at(15), at(30), at(45)])
    expect(ticksToSample(at(1.5), 15)).toEqual([at(0), at(15), at(30), at(45)])
    // 5 s before the next tick: the missed one is not taken.
    expect(ticksToSample(at(25), 15)).toEqual([at(30), at(45)])
    expect(ticksToSample(at(59), 15)).toEqual([at(45)])
    expect(ticksToSample(at(2), 5)).toHaveLength(12)
  })

  it('takes at most one sample a minute for intervals of a minute or more, on the epoch’s multiples', () => {
    expect(ticksToSample(at(20), 60)).toEqual([at(0)])
    // 15:40 is a multiple of 5 minutes; 15:41 has no tick.
    expect(ticksToSample(at(20), 300)).toEqual([at(0)])
    expect(ticksToSample(at(80), 300)).toEqual([])
  })
})

describe('the sampler schedule', () => {
  it('fires every minute by default, every N minutes for longer whole-minute intervals, and can be turned off', () => {
    expect(samplerCron(15)).toBe('* * * * *')
    expect(samplerCron(300)).toBe('*/5 * * * *')
    expect(samplerCron(3600)).toBe('0 * * * *')
    expect(samplerCron(90)).toBe('* * * * *')
    const base = { INTEGRITY_SCHEDULE_CRON: undefined, INTEGRITY_SCHEDULE_HOURS: undefined, JOBS_TIMEZONE: 'UTC' }
    expect(configuredSchedules(base)['metrics.sample']).toEqual({ cron: '* * * * *', timezone: 'UTC', enabled: true })
    expect(configuredSchedules({ ...base, METRICS_INTERVAL_SECONDS: 600 })['metrics.sample']).toEqual({ cron: '*/10 * * * *', timezone: 'UTC', enabled: true })
    expect(configuredSchedules({ ...base, METRICS_SCHEDULE_CRON: 'off' })['metrics.sample']).toMatchObject({ enabled: false })
    expect(configuredSchedules({ ...base, METRICS_SCHEDULE_CRON: '*/2 * * * *' })['metrics.sample']).toMatchObject({ cron: '*/2 * * * *', enabled: true })
  })
})
