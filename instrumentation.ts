/** Next calls this once per server start: background schedules live in the Node.js runtime only. */
export async function register() {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return
  if (!process.env.DBADMIN_STATE_URL && !process.env.STATE_DATABASE_URL) return
  const { startIntegritySchedule } = await import('./lib/jobs/integrity-schedule')
  const { sweepDeadJobs } = await import('./lib/jobs/dead-job-sweep')
  const { stateDb } = await import('./lib/db/server-dbs')
  sweepDeadJobs(stateDb()).then(
    ({ runs, fixes, backups, maintenance }) => {
      if (runs + fixes + backups + maintenance > 0) {
        console.log(
          `[dbadmin] marked ${runs} integrity run(s), ${fixes} fix job(s), ${backups} backup(s) and ${maintenance} maintenance job(s) of ended processes as interrupted`,
        )
      }
    },
    (e: unknown) => console.error('[dbadmin] could not look for interrupted jobs:', (e as Error)?.message ?? e),
  )
  startIntegritySchedule()
}
