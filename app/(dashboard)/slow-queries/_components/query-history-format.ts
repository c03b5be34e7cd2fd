/** A mean execution time, with the precision sub-millisecond statements need. */
export function meanText(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '–'
  if (ms < 1) return `${ms.toFixed(3)} ms`
  if (ms < 100) return `${ms.toFixed(1)} ms`
  if (ms < 1000) return `${Math.round(ms)} ms`
  return `${(ms / 1000).toFixed(2)} s`
}

/** A ratio of now to before as a signed percentage; '–' without a base. */
export function changeText(ratio: number | null): string {
  if (ratio === null) return '–'
  const pct = (ratio - 1) * 100
  return `${pct >= 0 ? '+' : '−'}${Math.abs(pct).toFixed(0)} %`
}
