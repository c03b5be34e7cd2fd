import type { Kysely } from 'kysely'
import { createDb } from '../lib/db/connect'
import { restrictedReader } from '../lib/db/reader-login'
import { targetIdentity } from '../lib/db/target-identity'
import type { JobServices } from '../lib/jobs/job-kind'
import { ACTIVE_STATES } from '../lib/jobs/job-store'
import { JobSystem, type JobSystemOptions } from '../lib/jobs/job-system'

/** Services over a test's target and state databases (made by createDb, as freshDatabase does). */
export async function testJobServices(target: { url: string; db: Kysely<any> }, state: { db: Kysely<any> }, dataPath = '/tmp'): Promise<JobServices> {
  return {
    state: state.db,
    target: await targetIdentity(target.db),
    targetUrl: target.url,
    migratorUrl: target.url,
    targetDb: () => target.db,
    migratorDb: () => target.db,
    integrityDb: () => target.db,
    integrityWriterDb: () => target.db,
    maintenanceDb: () => target.db,
    ruleReader: () => restrictedReader({ target: target.db, targetUrl: target.url, state: state.db }),
    settings: {
      integrityCheckTimeoutMs: 30_000,
      migrationLockTimeoutMs: 5_000,
      migrationStatementTimeoutMs: 60_000,
      pgBinDir: process.env.PG_BIN_DIR ?? '/usr/lib/postgresql/15/bin',
      dataPath,
    },
  }
}

/** The quick timers of test job systems. */
export const TEST_JOB_TIMING = { pollingIntervalSeconds: 0.5, maintenanceIntervalSeconds: 1, cronMonitorIntervalSeconds: 1, sweepMs: 500 }

/** A started job system with quick timers, as a web server or worker of these databases would run it. */
export async function startTestJobs(
  target: { url: string; db: Kysely<any> },
  state: { url: string; db: Kysely<any> },
  opts: Partial<JobSystemOptions> = {},
  services: Partial<JobServices> = {},
): Promise<JobSystem> {
  const system = new JobSystem({
    stateUrl: state.url,
    services: { ...(await testJobServices(target, state)), ...services },
    work: true,
    supervise: true,
    timing: TEST_JOB_TIMING,
    log: () => {},
    ...opts,
  })
  return system.start()
}

/** A second pool on the same database, as another process would have. */
export function otherPool(url: string): Kysely<any> {
  return createDb(url, { max: 2 })
}

/**
 * Whether the queue job has ended. A kind's own row (run, fix) ends a moment before its job, and a
 * job started in between is refused as busy: tests wait for this before starting the next one.
 */
export async function queueJobEnded(state: Kysely<any>, jobId: number | null): Promise<boolean> {
  if (jobId === null) return true
  const row = await state.selectFrom('job').select('state').where('id', '=', jobId).executeTakeFirst()
  return !row || !ACTIVE_STATES.includes(row.state)
}
