import { targetIdentity } from '../../lib/db/target-identity'
import { METRIC_NAMES, type MetricName, METRICS } from '../../lib/metrics/metric-names'
import { isSeriesRange, readSeries, SERIES_RANGES } from '../../lib/metrics/series'
import { takeSample } from '../../lib/metrics/take-sample'
import { CliError, JSON_FLAG, type ParsedArgs, stringFlag } from '../args'
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

const RANGES = Object.keys(SERIES_RANGES).join('|')

/**
 * `dbadmin metrics [history] --since 1h [--json]`: the recorded history, as the Health page reads it
 * (raw samples or 5-minute or hourly aggregates by range, see resolutionFor), at full resolution:
 * one point a sample or bucket, null where unknown, a null point where the sampler was silent.
 */
async function history(ctx: CliContext): Promise<void> {
  const since = sinceFlag(ctx.args)
  const identity = await targetIdentity(ctx.target())
  const s = await readSeries(ctx.state(), identity.key, METRIC_NAMES, since, { intervalSeconds: ctx.config.METRICS_INTERVAL_SECONDS })
  const points = s.times.map((t, i) => ({ at: new Date(t), ...(Object.fromEntries(METRIC_NAMES.map((m) => [m, s.values[m]?.[i] ?? null])) as Record<MetricName, number | null>) }))
  if (ctx.json) {
    return ctx.print({ database: identity.database, since, resolution: s.resolution, stepSeconds: s.stepSeconds, from: s.from, to: s.to, points })
  }
  ctx.out(`${identity.database}: ${points.length} points from ${s.from.toISOString()} to ${s.to.toISOString()} (${s.resolution === 'raw' ? 'samples' : `${s.resolution} averages`})`)
  for (const p of points) {
    const v = (m: MetricName) => (p[m] === null ? '–' : String(Math.round(p[m] * 1000) / 1000))
    ctx.out(`  ${p.at.toISOString()}  connections ${v('connectionsTotal')}  tps ${v('tps')}  cache ${v('cacheHitRatio')}  longest ${v('longestQuerySeconds')} s`)
  }
}

// Required here rather than in history(), so that a missing --since is refused before any database is touched.
const HISTORY_FLAGS = { since: { type: 'string', value: RANGES, required: true }, ...JSON_FLAG } as const

/** --since, checked by the parser before anything runs. */
function sinceFlag(args: ParsedArgs) {
  const since = stringFlag(args, 'since', true)
  if (!isSeriesRange(since)) throw new CliError(`--since must be one of ${RANGES}, not "${since}"`)
  return since
}

async function metrics(ctx: CliContext): Promise<void> {
  if (ctx.args.positional[1] === 'sample') return sample(ctx)
  return history(ctx)
}

export const metricsCommand: Command = {
  help: `metrics [history] --since ${RANGES} [--json] | metrics sample [--json]  print the recorded health history; or take one sample now and record it`,
  subcommands: {
    // The bare form is the one issue 15 names (`dbadmin metrics --json --since 1h`).
    '': { flags: HISTORY_FLAGS, check: (args) => void sinceFlag(args), summary: 'the same as metrics history' },
    sample: { flags: JSON_FLAG, summary: 'take one health sample now (connections, rates, sizes, backup age), record it and print it' },
    history: {
      flags: HISTORY_FLAGS,
      check: (args) => void sinceFlag(args),
      summary: 'print the recorded samples (or 5-minute/hourly aggregates for the longer ranges) of the last 1h, 6h, 24h, 7d, 30d or 1y',
    },
  },
  run: metrics,
}
