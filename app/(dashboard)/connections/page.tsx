import { ThresholdNote } from '@/components/threshold-note'
import { requireUser } from '@/lib/auth/current-user'
import { can } from '@/lib/auth/permissions'
import { openPools, targetDb } from '@/lib/db/server-dbs'
import { toJson } from '@/lib/format/json-value'
import { describePools, readConnections } from '@/lib/performance/connections'
import { listReplicationSlots } from '@/lib/performance/replication-slots'
import { THRESHOLDS } from '@/lib/performance/thresholds'
import { LiveConnections } from './_components/live-connections'
import { ReplicationSlots } from './_components/replication-slots'

export default async function ConnectionsPage() {
  const user = await requireUser()
  const [server, slots] = await Promise.all([readConnections(targetDb()), listReplicationSlots(targetDb())])
  return (
    <>
      <h1>Connections</h1>
      <p className="muted">
        Refreshed every 10 seconds while this page is visible.
        <ThresholdNote threshold={THRESHOLDS.connectionUseWarn} />
        <ThresholdNote threshold={THRESHOLDS.idleConnectionLeakSeconds} />
      </p>
      <LiveConnections initial={toJson({ server, pools: describePools(openPools()) })} />
      <ReplicationSlots report={slots} canManage={can(user.role, 'replication.manage')} />
    </>
  )
}
