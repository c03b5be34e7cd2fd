import type { Kysely } from 'kysely'
import { loadRules, type EffectiveRule } from '../alerts/rule-settings'
import { RULES, type RuleName } from '../alerts/rules'
import { show } from '../alerts/judge'
import { formatDuration, formatTimestamp } from '../format/units'
import { readBackupFreshness } from '../metrics/backup-age'
import { targetQuery } from '../metrics/read-target'
import { latestSample } from '../metrics/sample-store'
import type { MigrationsOverview } from '../migrations/status'
import type { StateDb } from '../state/state-db'

/** One line of the Overview's "what needs attention now", with where to look. */
export interface AttentionItem {
  key: string
  severity: 'critical' | 'warning'
  text: string
  href: string
  linkLabel: string
}

/** A health sample older than this is not "now": the live statistics are read instead (one cheap statement). */
export const FRESH_SAMPLE_SECONDS = 120

/** The alerts firing now, in one line. */
export async function firingAlertItems(state: StateDb, targetKey: string): Promise<AttentionItem[]> {
  const rows = await state
    .selectFrom('alert_state')
    .select(['rule', 'firing_since'])
    .where('target_key', '=', targetKey)
    .where('state', '=', 'firing')
    .orderBy('firing_since')
    .execute()
  const rules = rows.map((r) => r.rule as string).filter((r): r is RuleName => Object.hasOwn(RULES, r))
  if (rules.length === 0) return []
  const critical = rules.some((r) => RULES[r].severity === 'critical')
  const titles = rules.map((r) => RULES[r].title)
  return [
    {
      key: 'alerts',
      severity: critical ? 'critical' : 'warning',
      text: `${rules.length} alert${rules.length === 1 ? '' : 's'} firing: ${titles.slice(0, 3).join('; ')}${titles.length > 3 ? `; and ${titles.length - 3} more` : ''}.`,
      href: '/alerts',
      linkLabel: 'Open Alerts',
    },
  ]
}

/** The checks of the latest finished integrity run that found rows (or failed). */
export async function integrityItems(state: StateDb, targetKey: string): Promise<AttentionItem[]> {
  const run = await state
    .selectFrom('integrity_run as r')
    .select((eb) => [
      'r.id',
      'r.finished_at',
      eb
        .selectFrom('integrity_finding as f')
        .whereRef('f.run_id', '=', 'r.id')
        .where((w) => w.or([w('f.count', '>', 0), w('f.error', 'is not', null)]))
        .select((x) => x.fn.countAll<number>().as('n'))
        .as('problems'),
    ])
    .where('r.target_key', '=', targetKey)
    .where('r.status', '=', 'succeeded')
    .orderBy('r.id', 'desc')
    .limit(1)
    .executeTakeFirst()
  const problems = Number(run?.problems ?? 0)
  if (!run || problems === 0) return []
  return [
    {
      key: 'integrity',
      severity: 'warning',
      text: `${problems} integrity check${problems === 1 ? '' : 's'} found problems in run #${run.id} (${formatTimestamp(run.finished_at)}).`,
      href: `/integrity?run=${run.id}`,
      linkLabel: 'Open Integrity',
    },
  ]
}

/** No successful full backup, one older than the backup rule's threshold, or a failed latest backup. */
export async function backupItems(state: StateDb, targetKey: string, rules: EffectiveRule[]): Promise<AttentionItem[]> {
  const f = await readBackupFreshness(state, targetKey)
  const missing = rules.find((r) => r.name === 'backupMissing')!
  const out: AttentionItem[] = []
  if (f.lastFailed) out.push({ key: 'backup-failed', severity: 'critical', text: 'The latest backup failed.', href: '/backups', linkLabel: 'Open Backups' })
  if (f.ageSeconds === null) {
    out.push({ key: 'backup-age', severity: 'critical', text: 'There is no successful full backup of this database.', href: '/backups', linkLabel: 'Open Backups' })
  } else if (f.ageSeconds / 3600 >= missing.threshold) {
    out.push({
      key: 'backup-age',
      severity: 'warning',
      text: `The last successful backup is ${formatDuration(f.ageSeconds)} old (over ${missing.threshold} h).`,
      href: '/backups',
      linkLabel: 'Open Backups',
    })
  }
  return out
}

export interface ActivityNow {
  at: Date
  source: 'sample' | 'live'
  connectionUse: number | null
  longestQuerySeconds: number
  longestIdleInTransactionSeconds: number
  blockedSessions: number
}

/**
 * Connections, the longest query, idle transactions and lock waits now: from the sampler's latest
 * sample when it is fresh, else one live reading (flat in the number of tables; no pg_stat_statements).
 */
export async function activityNow(state: StateDb, target: Kysely<any>, targetKey: string): Promise<ActivityNow> {
  const sample = await latestSample(state, targetKey)
  if (sample && Date.now() - sample.takenAt.getTime() <= FRESH_SAMPLE_SECONDS * 1000) {
    const m = sample.metrics
    return {
      at: sample.takenAt,
      source: 'sample',
      connectionUse: m.connectionUse,
      longestQuerySeconds: m.longestQuerySeconds ?? 0,
      longestIdleInTransactionSeconds: m.longestIdleInTransactionSeconds ?? 0,
      blockedSessions: m.blockedSessions ?? 0,
    }
  }
  // The sampler's own statement, without the parts whose cost grows with the tables.
  const { rows } = await targetQuery(false).execute(target)
  const r = rows[0]
  return {
    at: r.at,
    source: 'live',
    connectionUse: r.max_connections > 0 ? r.total / r.max_connections : null,
    longestQuerySeconds: r.longest?.seconds ?? 0,
    longestIdleInTransactionSeconds: r.longest_idle_tx ?? 0,
    blockedSessions: r.blocked,
  }
}

/** The activity lines, judged by the same thresholds as the alert rules (as admins set them). */
export function activityItems(now: ActivityNow, rules: EffectiveRule[]): AttentionItem[] {
  const rule = (name: RuleName) => rules.find((r) => r.name === name)!
  const out: AttentionItem[] = []
  const conn = rule('connectionsHigh')
  if (now.connectionUse !== null && now.connectionUse >= conn.threshold) {
    const exhausted = now.connectionUse >= rule('connectionsExhausted').threshold
    out.push({
      key: 'connections',
      severity: exhausted ? 'critical' : 'warning',
      text: `${show(conn, now.connectionUse)} of max_connections in use (alert at ${show(conn, conn.threshold)}).`,
      href: '/connections',
      linkLabel: 'Open Connections',
    })
  }
  const long = rule('longRunningQuery')
  if (now.longestQuerySeconds >= long.threshold) {
    out.push({
      key: 'long-query',
      severity: 'warning',
      text: `A query has been running for ${formatDuration(now.longestQuerySeconds)} (over ${formatDuration(long.threshold)}).`,
      href: '/activity',
      linkLabel: 'Open Activity',
    })
  }
  const blocked = rule('blockedSessions')
  if (now.blockedSessions >= blocked.threshold) {
    out.push({
      key: 'blocked',
      severity: 'warning',
      text: `${now.blockedSessions} session${now.blockedSessions === 1 ? ' is' : 's are'} waiting for a lock.`,
      href: '/activity',
      linkLabel: 'Open Activity',
    })
  }
  const idle = rule('idleInTransaction')
  if (now.longestIdleInTransactionSeconds >= idle.threshold) {
    out.push({
      key: 'idle-in-transaction',
      severity: 'warning',
      text: `A session has been idle in transaction for ${formatDuration(now.longestIdleInTransactionSeconds)} (over ${formatDuration(idle.threshold)}).`,
      href: '/activity',
      linkLabel: 'Open Activity',
    })
  }
  return out
}

/** Pending migrations (while the dashboard manages the chain) and edits that block applying. */
export function migrationItems(status: Pick<MigrationsOverview, 'pending' | 'blockingEdits' | 'management'>): AttentionItem[] {
  const out: AttentionItem[] = []
  if (status.blockingEdits.length) {
    out.push({
      key: 'migrations-edited',
      severity: 'critical',
      text: `${status.blockingEdits.length} applied migration${status.blockingEdits.length === 1 ? ' was' : 's were'} edited afterwards: ${status.blockingEdits[0]}${status.blockingEdits.length > 1 ? ', …' : ''}.`,
      href: '/migrations',
      linkLabel: 'Open Migrations',
    })
  }
  if (status.pending.length) {
    out.push({
      key: 'migrations-pending',
      severity: 'warning',
      text: `${status.pending.length} migration${status.pending.length === 1 ? ' is' : 's are'} pending.`,
      href: '/migrations',
      linkLabel: 'Open Migrations',
    })
  }
  return out
}

export interface AttentionSources {
  state: StateDb
  target: Kysely<any>
  targetKey: string
  storageLimitBytes?: number | null
  /** The migration status, read by the caller (it needs the migrator's login and the code's migrations). */
  migrations: () => Promise<Pick<MigrationsOverview, 'pending' | 'blockingEdits' | 'management'>>
}

/**
 * Everything that needs attention now, most severe first, read in one round of parallel reads.
 * A source that cannot be read says so as a line of its own rather than hiding the others.
 */
export async function whatNeedsAttention(s: AttentionSources): Promise<AttentionItem[]> {
  const rules = await loadRules(s.state, s.targetKey, { storageLimitBytes: s.storageLimitBytes ?? null })
  const parts: { label: string; href: string; read: () => Promise<AttentionItem[]> }[] = [
    { label: 'the alerts', href: '/alerts', read: () => firingAlertItems(s.state, s.targetKey) },
    { label: 'the integrity runs', href: '/integrity', read: () => integrityItems(s.state, s.targetKey) },
    { label: 'the migrations', href: '/migrations', read: async () => migrationItems(await s.migrations()) },
    { label: 'the backups', href: '/backups', read: () => backupItems(s.state, s.targetKey, rules) },
    { label: 'the activity', href: '/activity', read: async () => activityItems(await activityNow(s.state, s.target, s.targetKey), rules) },
  ]
  const settled = await Promise.allSettled(parts.map((p) => p.read()))
  const items = settled.flatMap((r, i): AttentionItem[] =>
    r.status === 'fulfilled'
      ? r.value
      : [
          {
            key: `unreadable-${i}`,
            severity: 'warning',
            text: `Could not read ${parts[i].label}: ${String((r.reason as Error)?.message ?? r.reason).split('\n')[0].slice(0, 200)}`,
            href: parts[i].href,
            linkLabel: 'Open',
          },
        ],
  )
  return items.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'critical' ? -1 : 1))
}
