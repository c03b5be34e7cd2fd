/**
 * When the sampler job samples. pg-boss schedules have minute resolution, so the schedule fires
 * the job once a minute and the job samples at each tick of its minute (every 15 s by default).
 * Ticks are multiples of the interval since the Unix epoch, not offsets from the job's start: the
 * samples land on the same instants whichever instance runs the minute, and a late start (pg-boss's
 * cron monitor looks every 30 s) does not shift them.
 */
export const SAMPLER_WINDOW_MS = 60_000

/** The ticks of the minute `startedAt` falls in that this run samples, oldest first. */
export function ticksToSample(startedAt: number, intervalSeconds: number): number[] {
  const interval = intervalSeconds * 1000
  const windowStart = Math.floor(startedAt / SAMPLER_WINDOW_MS) * SAMPLER_WINDOW_MS
  const windowEnd = windowStart + SAMPLER_WINDOW_MS
  const ticks: number[] = []
  for (let t = Math.ceil(windowStart / interval) * interval; t < windowEnd; t += interval) ticks.push(t)
  const missed = ticks.filter((t) => t < startedAt)
  const coming = ticks.filter((t) => t >= startedAt)
  // The newest missed tick is taken at once, unless the next one is near: two samples a few seconds
  // apart say little more than one.
  const newestMissed = missed[missed.length - 1]
  if (newestMissed !== undefined && (coming.length === 0 || coming[0] - startedAt > interval / 2)) return [newestMissed, ...coming]
  return coming
}

/**
 * The default schedule for an interval: every minute for intervals under a minute; every N
 * minutes when the interval is N whole minutes dividing an hour; hourly for an hour. Other
 * intervals fire every minute, and a minute without a tick takes no sample.
 */
export function samplerCron(intervalSeconds: number): string {
  if (intervalSeconds <= 60 || intervalSeconds % 60 !== 0) return '* * * * *'
  const minutes = intervalSeconds / 60
  if (minutes === 60) return '0 * * * *'
  return 60 % minutes === 0 ? `*/${minutes} * * * *` : '* * * * *'
}
