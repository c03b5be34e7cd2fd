/** Next calls this once per server start: the job system lives in the Node.js runtime only. */
export async function register() {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return
  if (!process.env.DBADMIN_STATE_URL && !process.env.STATE_DATABASE_URL) return
  const { serverJobs, stopServerJobs } = await import('./lib/jobs/server-jobs')
  const { markDeadBackups } = await import('./lib/backups/catalogue')
  const { stateDb } = await import('./lib/db/server-dbs')
  // scripts/web-server.ts stops it before the process exits: running jobs end at a safe point.
  ;(globalThis as unknown as { __dbadminStopJobs?: () => Promise<void> }).__dbadminStopJobs = stopServerJobs
  serverJobs().then(
    (jobs) => console.log(`[dbadmin] job queue started on the state database${jobs.options.work ? ' (this server runs jobs)' : ' (JOBS_WORKER=0: jobs run elsewhere)'}`),
    (e: unknown) => console.error('[dbadmin] the job queue could not start:', (e as Error)?.message ?? e),
  )
  // Backups run in the request's process, not on the queue: mark those of ended processes before
  // anyone looks (every read does the same).
  markDeadBackups(stateDb()).then(
    (backups) => {
      if (backups.length > 0) console.log(`[dbadmin] marked ${backups.length} backup(s) of ended processes as interrupted`)
    },
    (e: unknown) => console.error('[dbadmin] could not look for interrupted backups:', (e as Error)?.message ?? e),
  )
}
