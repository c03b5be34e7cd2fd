import { ThresholdNote } from '@/components/threshold-note'
import { requireUser } from '@/lib/auth/current-user'
import { openPools, targetDb } from '@/lib/db/server-dbs'
import { toJson } from '@/lib/format/json-value'
import { describePools, readConnections } from '@/lib/performance/connections'
import { THRESHOLDS } from '@/lib/performance/thresholds'
import { LiveConnections } from './_components/live-connections'

export default async function ConnectionsPage() {
  await requireUser()
  const server = await readConnections(targetDb())
  return (
    <>
      <h1>Connections</h1>
      <p className="muted">
        Refreshed every 10 seconds while this page is visible.
        <ThresholdNote threshold={THRESHOLDS.connectionUseWarn} />
        <ThresholdNote threshold={THRESHOLDS.idleConnectionLeakSeconds} />
      </p>
      <LiveConnections initial={toJson({ server, pools: describePools(openPools()) })} />
    </>
  )
}
