import { requireUser } from '@/lib/auth/current-user'
import { can } from '@/lib/auth/permissions'
import { signalDb, targetDb } from '@/lib/db/server-dbs'
import { listActivity } from '@/lib/performance/activity'
import { THRESHOLDS } from '@/lib/performance/thresholds'
import { ThresholdNote } from '@/components/threshold-note'
import { LiveActivity } from './_components/live-activity'
import { toJson } from '@/lib/format/json-value'

export default async function ActivityPage() {
  const user = await requireUser()
  const activity = await listActivity(targetDb(), { signalDb: signalDb() })
  return (
    <>
      <h1>Activity</h1>
      <p className="muted">
        Every session of the server, refreshed every 5 seconds while this page is visible.
        <ThresholdNote threshold={THRESHOLDS.longRunningSeconds} />
        <ThresholdNote threshold={THRESHOLDS.veryLongRunningSeconds} />
      </p>
      <LiveActivity initial={toJson(activity)} canCancel={can(user.role, 'sessions.cancel')} canTerminate={can(user.role, 'sessions.terminate')} />
    </>
  )
}
