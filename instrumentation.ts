/** Next calls this once per server start: background schedules live in the Node.js runtime only. */
export async function register() {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return
  if (!process.env.DBADMIN_STATE_URL && !process.env.STATE_DATABASE_URL) return
  const { startIntegritySchedule } = await import('./lib/jobs/integrity-schedule')
  startIntegritySchedule()
}
