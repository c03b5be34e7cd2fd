import { targetIdentity } from '../../lib/db/target-identity'
import { METRIC_NAMES, METRICS } from '../../lib/metrics/metric-names'
import { takeSample } from '../../lib/metrics/take-sample'
import { JSON_FLAG } from '../args'
import type { Command } from '../command'
import type { CliContext } from '../context'

/**
 * `dbadmin metrics sample [--json]`: one health sample of the target now, recorded in the state
 * database as the sampler would (its rates are against the previous sample; the first has none).
 */
async function sample(ctx: CliContext): Promise<void> {
  const identity = await targetIdentity(ctx.target())
  const s = await takeSample(ctx.target(), ctx.state(), identity.key)
  if (ctx.json) {
    return ctx.print({
      sample: {
        id: s.id,
        targetKey: identity.key,
        database: identity.database,
        takenAt: s.takenAt,
        metrics: s.metrics,
        counterReset: s.counterReset,
        longestQuery: s.details.longestQuery ?? null,
        durationMs: s.durationMs,
        tableSizesTaken: s.tableSizesTaken,
      },
    })
  }
  ctx.out(`${identity.database} at ${s.takenAt.toISOString()}${s.counterReset ? ` (no rates: ${s.counterReset.replace('_', ' ')})` : ''}`)
  for (const name of METRIC_NAMES) {
    const v = s.metrics[name]
    ctx.out(`  ${name.padEnd(32)} ${v === null ? '–' : String(Math.round(v * 1000) / 1000).padStart(14)}  ${METRICS[name].unit}`)
  }
}

export const metricsCommand: Command = {
  help: 'metrics sample [--json]     take one health sample of the target now and record it',
  subcommands: {
    sample: { flags: JSON_FLAG, summary: 'take one health sample now (connections, rates, sizes, backup age), record it and print it' },
  },
  run: sample,
}
