import type { StateDb } from '../state/state-db'
import type { JobKind } from './job-kind'
import type { JobSystem } from './job-system'
import { type JobRow, toJobRow } from './job-store'
import { AppError } from '../errors'

/** A schedule as configured or as an admin set it: a cron expression in a time zone, on or off. */
export interface ScheduleSetting {
  cron: string
  timezone: string
  enabled: boolean
}

export interface JobSchedule extends ScheduleSetting {
  kind: string
  title: string
  description: string
  /** 'config' while it follows the configuration; the admin's e-mail once one changed it. */
  setBy: string
  setAt: Date
  /** The newest job the schedule started. */
  lastRun: JobRow | null
}

/** A schedule refused: shown next to the time zone or the cron field it is about. */
export class ScheduleError extends AppError {
  constructor(message: string) {
    super('invalid_input', message, { fieldErrors: { [/time zone/.test(message) ? 'timezone' : 'cron']: message } })
  }
}

/** A time zone name the runtime knows (IANA, e.g. Europe/Berlin), or a ScheduleError. */
export function checkTimezone(tz: string): string {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz })
    return tz
  } catch {
    throw new ScheduleError(`"${tz}" is not a time zone (use an IANA name such as UTC or Europe/Berlin).`)
  }
}

async function readSetting(state: StateDb, targetKey: string, kind: string) {
  return state.selectFrom('job_schedule').selectAll().where('target_key', '=', targetKey).where('kind', '=', kind).executeTakeFirst()
}

async function writeSetting(state: StateDb, targetKey: string, kind: string, s: ScheduleSetting, by: string) {
  const values = { cron: s.cron, timezone: s.timezone, enabled: s.enabled, set_by: by, set_at: new Date() }
  await state
    .insertInto('job_schedule')
    .values({ target_key: targetKey, kind, ...values })
    .onConflict((oc) => oc.columns(['target_key', 'kind']).doUpdateSet(values))
    .execute()
}

/** Puts a setting into pg-boss's schedule table: the cron monitor of whichever process runs it fires it once. */
async function apply(system: JobSystem, kind: JobKind, s: ScheduleSetting) {
  const queue = system.queue(kind)
  if (!s.enabled) return system.boss.unschedule(queue)
  try {
    await system.boss.schedule(queue, s.cron, { scheduled: true }, {
      tz: s.timezone,
      retryLimit: kind.retryLimit,
      expireInSeconds: kind.expireInMinutes * 60,
    })
  } catch (e) {
    throw new ScheduleError(`"${s.cron}" is not a cron schedule pg-boss accepts (minute hour day-of-month month day-of-week): ${(e as Error).message}`)
  }
}

/**
 * At start: each schedulable kind's schedule follows the configuration unless an admin changed it
 * on the Jobs page (then the admin's setting stays until an admin changes it again).
 */
export async function syncSchedules(system: JobSystem, configured: Record<string, ScheduleSetting>): Promise<void> {
  const { state, target } = system.services
  for (const kind of system.kinds.filter((k) => k.schedule)) {
    const row = await readSetting(state, target.key, kind.kind)
    const conf = configured[kind.kind]
    let setting: ScheduleSetting | null = row ? { cron: row.cron, timezone: row.timezone, enabled: row.enabled } : null
    if (conf && (!row || row.set_by === 'config')) {
      setting = conf
      await writeSetting(state, target.key, kind.kind, conf, 'config')
    }
    if (setting) {
      await apply(system, kind, setting).catch((e: unknown) => {
        console.error(`[dbadmin] the ${kind.title.toLowerCase()} schedule was not applied: ${(e as Error).message}`)
      })
    }
  }
}

/** An admin's change (audited by the action that calls it). Returns the schedule as saved. */
export async function saveSchedule(system: JobSystem, kindName: string, s: ScheduleSetting, by: string): Promise<ScheduleSetting> {
  const kind = system.kind(kindName)
  if (!kind.schedule) throw new ScheduleError(`${kind.title} does not run on a schedule.`)
  const setting = { cron: s.cron.trim().replace(/\s+/g, ' '), timezone: checkTimezone(s.timezone.trim()), enabled: s.enabled }
  // pg-boss checks the expression before it stores anything.
  await apply(system, kind, { ...setting, enabled: true })
  if (!setting.enabled) await apply(system, kind, setting)
  await writeSetting(system.services.state, system.services.target.key, kind.kind, setting, by)
  return setting
}

/** The schedulable kinds with their schedule (a kind never configured shows as off with its default). */
export async function listSchedules(state: StateDb, kinds: JobKind[], targetKey: string, defaults: Record<string, ScheduleSetting>): Promise<JobSchedule[]> {
  const out: JobSchedule[] = []
  for (const kind of kinds.filter((k) => k.schedule)) {
    const row = await readSetting(state, targetKey, kind.kind)
    const last = await state
      .selectFrom('job')
      .selectAll()
      .where('target_key', '=', targetKey)
      .where('kind', '=', kind.kind)
      .where('trigger', '=', 'schedule')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst()
    const fallback = defaults[kind.kind] ?? { cron: '0 3 * * *', timezone: 'UTC', enabled: false }
    out.push({
      kind: kind.kind,
      title: kind.title,
      description: kind.schedule!.description,
      cron: row?.cron ?? fallback.cron,
      timezone: row?.timezone ?? fallback.timezone,
      enabled: row?.enabled ?? false,
      setBy: row?.set_by ?? 'config',
      setAt: row?.set_at ?? new Date(0),
      lastRun: last ? toJobRow(last) : null,
    })
  }
  return out
}
