/**
 * Which backups a retention policy keeps and which it deletes, as pure logic: the caller lists the
 * backups, deletes what this returns and audits it. Like restic's and borg's `forget`: a backup is
 * kept when any rule keeps it: the newest N, the newest of each of the last N days / ISO weeks /
 * months, or anything younger than a number of days. Periods are UTC.
 */
export interface RetentionPolicy {
  keepLast?: number
  keepDaily?: number
  keepWeekly?: number
  keepMonthly?: number
  /** Keep everything younger than this many days. */
  keepWithinDays?: number
}

export interface RetentionCandidate {
  id: string
  startedAt: Date
  status: 'running' | 'succeeded' | 'failed' | 'interrupted'
}

export interface RetentionDecision {
  keep: { id: string; reasons: string[] }[]
  delete: { id: string; reason: string }[]
}

const DAY = 86_400_000

function isoWeek(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()))
  const day = t.getUTCDay() || 7
  t.setUTCDate(t.getUTCDate() + 4 - day)
  const year = t.getUTCFullYear()
  const week = Math.ceil(((t.getTime() - Date.UTC(year, 0, 1)) / DAY + 1) / 7)
  return `${year}-W${String(week).padStart(2, '0')}`
}

const periods: [keyof RetentionPolicy, string, (d: Date) => string][] = [
  ['keepDaily', 'daily', (d) => d.toISOString().slice(0, 10)],
  ['keepWeekly', 'weekly', isoWeek],
  ['keepMonthly', 'monthly', (d) => d.toISOString().slice(0, 7)],
]

export function checkPolicy(p: RetentionPolicy): void {
  for (const [k, v] of Object.entries(p)) {
    if (v !== undefined && !(Number.isInteger(v) && v >= 0)) throw new Error(`${k} must be a whole number of 0 or more`)
  }
  if (!Object.values(p).some((v) => v)) throw new Error('a retention policy must keep something: set at least one rule above 0')
}

/**
 * Applies a policy to one target's backups of one kind. Only succeeded backups count toward the
 * rules; a running one is never deleted, and failed ones are deleted once a newer success exists
 * (their record stays; they have no file worth keeping). The newest success is always kept.
 */
export function applyRetention(backups: RetentionCandidate[], policy: RetentionPolicy, now = new Date()): RetentionDecision {
  checkPolicy(policy)
  const sorted = [...backups].sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime())
  const good = sorted.filter((b) => b.status === 'succeeded')
  const reasons = new Map<string, string[]>()
  const keep = (id: string, why: string) => reasons.set(id, [...(reasons.get(id) ?? []), why])

  good.slice(0, policy.keepLast ?? 0).forEach((b, i) => keep(b.id, `last ${i + 1} of ${policy.keepLast}`))
  for (const [key, label, periodOf] of periods) {
    const n = (policy[key] as number | undefined) ?? 0
    const seen = new Set<string>()
    for (const b of good) {
      if (seen.size >= n) break
      const p = periodOf(b.startedAt)
      if (seen.has(p)) continue
      seen.add(p)
      keep(b.id, `${label} ${p}`)
    }
  }
  if (policy.keepWithinDays) {
    for (const b of good) if (now.getTime() - b.startedAt.getTime() < policy.keepWithinDays * DAY) keep(b.id, `within ${policy.keepWithinDays} days`)
  }
  if (good[0]) keep(good[0].id, 'newest successful backup')

  const decision: RetentionDecision = { keep: [], delete: [] }
  const newestGood = good[0]?.startedAt.getTime() ?? Infinity
  for (const b of sorted) {
    if (b.status === 'running') decision.keep.push({ id: b.id, reasons: ['running'] })
    else if (reasons.has(b.id)) decision.keep.push({ id: b.id, reasons: reasons.get(b.id)! })
    else if (b.status === 'succeeded') decision.delete.push({ id: b.id, reason: 'no rule of the policy keeps it' })
    else if (b.startedAt.getTime() < newestGood) decision.delete.push({ id: b.id, reason: `${b.status}, and a newer backup succeeded` })
    else decision.keep.push({ id: b.id, reasons: [`${b.status}, newer than the last success: kept to show`] })
  }
  return decision
}
