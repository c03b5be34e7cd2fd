import { formatDuration } from '@/lib/format/units'

/** A run or step duration: milliseconds for quick ones, seconds and minutes beyond. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '–'
  if (ms < 1000) return `${ms} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  return formatDuration(ms / 1000)
}
