import type { Kysely } from 'kysely'
import { loadRules, type EffectiveRule } from '../alerts/rule-settings'
import { RULES, type RuleName } from '../alerts/rules'
import { show } from '../alerts/judge'
import { formatDuration, formatTimestamp, plural } from '../format/units'
import { readBackupFreshness } from '../metrics/backup-age'
import { targetQuery } from '../metrics/read-target'
import { latestSample } from '../metrics/sample-store'
import type { MigrationsOverview } from '../migrations/status'
import type { StateDb } from '../state/state-db'
import { cacheConcern, FRESH_SAMPLE_SECONDS, indexConcern, vacuumConcern } from './concerns'

/**
 * One line of the Overview's health summary: every concern always has one, green ('ok') with its
 * number when fine, else what is wrong and how badly, with the page that shows it.
 */
export interface HealthLine {
  key: HealthLineKey
  status: 'ok' | 'warning' | 'critical'
  text: string
  href: string
  linkLabel: string
}

/** The concerns of issue 15's Overview, in the order it shows them (problems first, then these in order). */
export const HEALTH_LINE_KEYS = [
  'connections',
  'long-query',
  'blocked',
  'idle-in-transaction',
  'cache',
  'indexes',
  'vacuum',
  'integrity',
  'migrations-pending',
  'migrations-edited',
  'backup',
  'alerts',
] as const

export type HealthLineKey = (typeof HEALTH_LINE_KEYS)[number]

/** The alerts firing now, in one line. */
export async function firingAlertLine(state: StateDb, targetKey: string): Promise<HealthLine> {
  const rows = await state
    .selectFrom('alert_state')
    .select(['rule', 'firing_since'])
    .where('target_key', '=', targetKey)
    .where('state', '=', 'firing')
    .orderBy('firing_since')
    .execute()
  const rules = rows.map((r) => r.rule as string).filter((r): r is RuleName => Object.hasOwn(RULES, r))
  const base = { key: 'alerts' as const, href: '/alerts', linkLabel: 'Open Alerts' }
  if (rules.length === 0) return { ...base, status: 'ok', text: 'Alerts: 0 firing.' }
  const critical = rules.some((r) => RULES[r].severity === 'critical')
  const titles = rules.map((r) => RULES[r].title)
  return {
    ...base,
    status: critical ? 'critical' : 'warning',
    text: `${rules.length} alert${rules.length === 1 ? '' : 's'} firing: ${titles.slice(0, 3).join('; ')}${titles.length > 3 ? `; and ${titles.length - 3} more` : ''}.`,
  }
}

/** The checks of the latest finished integrity run that found rows (or failed). */
export async function integrityLine(state: StateDb, targetKey: string): Promise<HealthLine> {
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
  if (!run) return { key: 'integrity', status: 'ok', text: 'Integrity: no run has finished yet, so no finding.', href: '/integrity', linkLabel: 'Open Integrity' }
  const problems = Number(run.problems ?? 0)
  const base = { key: 'integrity' as const, href: `/integrity?run=${run.id}`, linkLabel: 'Open Integrity' }
  const when = `run #${run.id} (${formatTimestamp(run.finished_at)})`
  if (problems === 0) return { ...base, status: 'ok', text: `Integrity: 0 checks with findings in ${when}.` }
  return { ...base, status: 'warning', text: `${plural(problems, 'integrity check', 'integrity checks')} found problems in ${when}.` }
}

/** The last successful full backup's age against the backup rule's threshold, and whether the latest backup failed. */
export async function backupLine(state: StateDb, targetKey: string, rules: EffectiveRule[]): Promise<HealthLine> {
  const f = await readBackupFreshness(state, targetKey)
  const missing = rules.find((r) => r.name === 'backupMissing')!
  const base = { key: 'backup' as const, href: '/backups', linkLabel: 'Open Backups' }
  const failed = f.lastFailed ? 'The latest backup failed. ' : ''
  if (f.ageSeconds === null) return { ...base, status: 'critical', text: `${failed}There is no successful full backup of this database.` }
  const age = `${formatDuration(f.ageSeconds)} old`
  if (f.ageSeconds / 3600 >= missing.threshold) return { ...base, status: f.lastFailed ? 'critical' : 'warning', text: `${failed}The last successful backup is ${age} (over ${missing.threshold} h).` }
  if (f.lastFailed) return { ...base, status: 'critical', text: `${failed}The last successful one is ${age}.` }
  return { ...base, status: 'ok', text: `Last successful backup: ${age} (alert over ${missing.threshold} h).` }
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
export function activityLines(now: ActivityNow, rules: EffectiveRule[]): HealthLine[] {
  const rule = (name: RuleName) => rules.find((r) => r.name === name)!
  const activity = { href: '/activity', linkLabel: 'Open Activity' }
  const conn = rule('connectionsHigh')
  const connections: HealthLine = { key: 'connections', href: '/connections', linkLabel: 'Open Connections', status: 'ok', text: 'Connections: not known.' }
  if (now.connectionUse !== null) {
    const use = show(conn, now.connectionUse)
    if (now.connectionUse < conn.threshold) Object.assign(connections, { text: `Connections: ${use} of max_connections in use (alert at ${show(conn, conn.threshold)}).` })
    else {
      const exhausted = now.connectionUse >= rule('connectionsExhausted').threshold
      Object.assign(connections, { status: exhausted ? 'critical' : 'warning', text: `${use} of max_connections in use (alert at ${show(conn, conn.threshold)}).` })
    }
  }
  const long = rule('longRunningQuery')
  const longQuery: HealthLine =
    now.longestQuerySeconds >= long.threshold
      ? { key: 'long-query', ...activity, status: 'warning', text: `A query has been running for ${formatDuration(now.longestQuerySeconds)} (over ${formatDuration(long.threshold)}).` }
      : { key: 'long-query', ...activity, status: 'ok', text: `Long-running queries: 0 over ${formatDuration(long.threshold)} (the longest ${formatDuration(now.longestQuerySeconds)}).` }
  const blocked = rule('blockedSessions')
  const blockedLine: HealthLine =
    now.blockedSessions >= blocked.threshold
      ? { key: 'blocked', ...activity, status: 'warning', text: `${now.blockedSessions} session${now.blockedSessions === 1 ? ' is' : 's are'} waiting for a lock.` }
      : { key: 'blocked', ...activity, status: 'ok', text: `Blocked sessions: ${now.blockedSessions} waiting for a lock.` }
  const idle = rule('idleInTransaction')
  const idleLine: HealthLine =
    now.longestIdleInTransactionSeconds >= idle.threshold
      ? { key: 'idle-in-transaction', ...activity, status: 'warning', text: `A session has been idle in transaction for ${formatDuration(now.longestIdleInTransactionSeconds)} (over ${formatDuration(idle.threshold)}).` }
      : { key: 'idle-in-transaction', ...activity, status: 'ok', text: `Idle in transaction: 0 sessions over ${formatDuration(idle.threshold)}.` }
  return [connections, longQuery, blockedLine, idleLine]
}

/** Pending migrations (while the dashboard manages the chain) and edits that block applying. */
export function migrationLines(status: Pick<MigrationsOverview, 'pending' | 'blockingEdits' | 'management'>): HealthLine[] {
  const base = { href: '/migrations', linkLabel: 'Open Migrations' }
  const edits = status.blockingEdits
  return [
    status.pending.length
      ? { key: 'migrations-pending', ...base, status: 'warning', text: `${status.pending.length} migration${status.pending.length === 1 ? ' is' : 's are'} pending.` }
      : { key: 'migrations-pending', ...base, status: 'ok', text: 'Migrations: 0 pending.' },
    edits.length
      ? {
          key: 'migrations-edited',
          ...base,
          status: 'critical',
          text: `${edits.length} applied migration${edits.length === 1 ? ' was' : 's were'} edited afterwards: ${edits[0]}${edits.length > 1 ? ', …' : ''}.`,
        }
      : { key: 'migrations-edited', ...base, status: 'ok', text: 'Migrations: 0 applied ones edited afterwards.' },
  ]
}

export interface AttentionSources {
  state: StateDb
  target: Kysely<any>
  targetKey: string
  storageLimitBytes?: number | null
  /** The migration status, read by the caller (it needs the migrator's login and the code's migrations). */
  migrations: () => Promise<Pick<MigrationsOverview, 'pending' | 'blockingEdits' | 'management'>>
}

const RANK = { critical: 0, warning: 1, ok: 2 } as const

/**
 * The Overview's health summary: one line for every concern, read in one round of parallel reads,
 * problems first (the most severe first), then the green ones, each group in HEALTH_LINE_KEYS' order.
 * A source that cannot be read turns its lines red and says why, rather than hiding the others.
 */
export async function healthLines(s: AttentionSources): Promise<HealthLine[]> {
  const rules = await loadRules(s.state, s.targetKey, { storageLimitBytes: s.storageLimitBytes ?? null })
  const link = (href: string, linkLabel: string) => ({ href, linkLabel })
  const parts: { label: string; keys: HealthLineKey[]; href: string; linkLabel: string; read: () => Promise<HealthLine[]> }[] = [
    { label: 'the activity', keys: ['connections', 'long-query', 'blocked', 'idle-in-transaction'], ...link('/activity', 'Open Activity'), read: async () => activityLines(await activityNow(s.state, s.target, s.targetKey), rules) },
    { label: 'the cache hit ratio', keys: ['cache'], ...link('/health', 'Open Health'), read: async () => [await cacheConcern(s.state, s.target, s.targetKey, rules.find((r) => r.name === 'cacheHitRatioLow')!)] },
    { label: 'the indexes', keys: ['indexes'], ...link('/indexes', 'Open Indexes'), read: async () => [await indexConcern(s.state, s.target, s.targetKey)] },
    { label: 'the tables needing vacuum', keys: ['vacuum'], ...link('/tables', 'Open Tables'), read: async () => [await vacuumConcern(s.target)] },
    { label: 'the integrity runs', keys: ['integrity'], ...link('/integrity', 'Open Integrity'), read: async () => [await integrityLine(s.state, s.targetKey)] },
    { label: 'the migrations', keys: ['migrations-pending', 'migrations-edited'], ...link('/migrations', 'Open Migrations'), read: async () => migrationLines(await s.migrations()) },
    { label: 'the backups', keys: ['backup'], ...link('/backups', 'Open Backups'), read: async () => [await backupLine(s.state, s.targetKey, rules)] },
    { label: 'the alerts', keys: ['alerts'], ...link('/alerts', 'Open Alerts'), read: async () => [await firingAlertLine(s.state, s.targetKey)] },
  ]
  const settled = await Promise.allSettled(parts.map((p) => p.read()))
  const lines = settled.flatMap((r, i): HealthLine[] => {
    if (r.status === 'fulfilled') return r.value
    const why = String((r.reason as Error)?.message ?? r.reason).split('\n')[0].slice(0, 200)
    const p = parts[i]
    return p.keys.map((key) => ({ key, status: 'warning', text: `Could not read ${p.label}: ${why}`, href: p.href, linkLabel: p.linkLabel }))
  })
  const order = (l: HealthLine) => RANK[l.status] * 100 + HEALTH_LINE_KEYS.indexOf(l.key)
  return lines.sort((a, b) => order(a) - order(b))
}
