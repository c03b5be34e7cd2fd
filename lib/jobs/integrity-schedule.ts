import 'server-only'
import { integrityTargetDb, ruleReader, stateDb } from '../db/server-dbs'
import { scheduleTick } from '../integrity/schedule'
import { serverEnv } from '../runtime/server-env'

const TICK_MS = 10 * 60_000

/** Started once per web server: checks every ten minutes whether an unattended run is due. */
export function startIntegritySchedule(): void {
  const env = serverEnv()
  const hours = env.integrityScheduleHours
  if (hours <= 0) return
  const tick = () =>
    scheduleTick(integrityTargetDb(), stateDb(), hours, { reader: ruleReader(), ruleTimeoutMs: env.integrityCheckTimeoutMs }).catch((e: unknown) => {
      console.error('[dbadmin] scheduled integrity run could not start:', (e as Error)?.message ?? e)
    })
  // First look a minute after start, so that start-up itself stays quick.
  setTimeout(tick, 60_000).unref()
  setInterval(tick, TICK_MS).unref()
}
