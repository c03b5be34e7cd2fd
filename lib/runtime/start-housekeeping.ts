import type { CapabilityUrls } from '../db/capabilities'
import { createDb } from '../db/connect'
import { targetIdentity } from '../db/target-identity'
import { describeOrphan, orphanedMigrationSessions } from '../migrations/run-lock'
import { dropDeadScratchDatabases } from '../migrations/scratch-database'
import { adoptUnkeyedRows, hasUnkeyedRows } from '../state/adopt-unkeyed'
import type { StateDb } from '../state/state-db'

/**
 * What a start (of the server or of a CLI command) tidies up or reports about earlier processes
 * that died: history not yet attributed to a target, scratch databases of checks that were killed,
 * and server sessions of killed migration runs still running and holding locks. Each step is best
 * effort: a target that does not answer now is looked at again at the next start.
 */
export async function startHousekeeping(
  state: StateDb,
  logins: Pick<CapabilityUrls, 'monitor' | 'migrator'>,
  log: (line: string) => void,
): Promise<void> {
  await adoptHistory(state, logins.monitor, log)
  try {
    // The migrator made them (checks run as it), so it may drop them.
    const { dropped, failed } = await dropDeadScratchDatabases(logins.migrator)
    if (dropped.length) log(`Dropped ${dropped.length} scratch database${dropped.length === 1 ? '' : 's'} left by checks that died: ${dropped.join(', ')}`)
    for (const f of failed) log(`Could not drop the leftover scratch database ${f.name}: ${f.error}`)
  } catch {
    // The target did not answer: nothing to tidy that could be seen.
  }
  try {
    for (const o of await orphanedMigrationSessions(logins.monitor)) log(`Warning: ${describeOrphan(o)}`)
  } catch {
    // As above.
  }
}

/**
 * History written before it was keyed by target goes to the first target reached after the upgrade
 * (lib/state/adopt-unkeyed.ts). Only reads the target.
 */
async function adoptHistory(state: StateDb, targetUrl: string, log: (line: string) => void): Promise<void> {
  if (!(await hasUnkeyedRows(state))) return
  const target = createDb(targetUrl, { max: 1, applicationName: 'dor-db-admin' })
  try {
    const identity = await targetIdentity(target)
    const adopted = await adoptUnkeyedRows(state, identity)
    if (adopted) log(`History recorded before targets had keys (${adopted} rows) now belongs to ${identity.database} (${identity.key})`)
  } catch (e) {
    log(`Older history is not attributed to a target yet (the target did not answer: ${(e as Error).message}); tried again at the next start`)
  } finally {
    await target.destroy()
  }
}
