import { evaluateAlerts } from '../../lib/alerts/evaluate-alerts'
import { targetIdentity } from '../../lib/db/target-identity'
import { takeSample } from '../../lib/metrics/take-sample'
import { CliError, JSON_FLAG } from '../args'
import type { Command } from '../command'
import type { CliContext } from '../context'

/**
 * `dbadmin alerts [list] [--json]`: every enabled rule judged against the live database now (a
 * sample read but not recorded; rates against the last recorded one), starting from the states
 * the sampler recorded, so a rule with a duration is pending until it has held that long. Records
 * and notifies nothing. Exit 1 when any alert is firing, for cron and CI.
 */
async function list(ctx: CliContext): Promise<void> {
  const identity = await targetIdentity(ctx.target())
  const sample = await takeSample(ctx.target(), ctx.state(), identity.key, { store: false })
  const { alerts } = await evaluateAlerts(ctx.state(), identity, sample, { persist: false, storageLimitBytes: ctx.config.STORAGE_LIMIT_BYTES ?? null, target: ctx.target() })
  if (ctx.json) {
    ctx.print({ alerts: alerts.map((a) => ({ rule: a.rule, severity: a.severity, state: a.state, message: a.message, value: a.value, threshold: a.threshold, ...(a.notice ? { notice: a.notice } : {}) })) })
  } else {
    for (const a of alerts) ctx.out(`${a.state.toUpperCase().padEnd(8)} ${a.severity.padEnd(9)} ${a.message}${a.notice ? ` (${a.notice})` : ''}`)
  }
  const firing = alerts.filter((a) => a.state === 'firing').length
  if (firing) throw new CliError(`${firing} alert${firing === 1 ? ' is' : 's are'} firing`, 1)
}

export const alertsCommand: Command = {
  help: 'alerts [list] [--json]      judge the alert rules against the database now; exit 1 when any fires',
  subcommands: {
    // The bare form is the one issue 15 names (`dbadmin alerts --json`); `list` stays for scripts using it.
    '': { flags: JSON_FLAG, summary: 'the same as alerts list' },
    list: { flags: JSON_FLAG, summary: 'judge every enabled alert rule against the live database now (records nothing); exit 1 when any is firing' },
  },
  run: list,
}
