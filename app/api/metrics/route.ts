import { stateDb, targetDb } from '@/lib/db/server-dbs'
import { targetIdentity } from '@/lib/db/target-identity'
import { metricsEndpoint } from '@/lib/metrics/metrics-endpoint'
import { serverEnv } from '@/lib/runtime/server-env'

export const dynamic = 'force-dynamic'

/** Prometheus text from the newest health sample; off unless METRICS_TOKEN is set, then a bearer token instead of a session. */
export async function GET(request: Request) {
  const env = serverEnv()
  return metricsEndpoint(request, {
    token: env.metricsToken,
    state: stateDb(),
    target: () => targetIdentity(targetDb()),
    storageLimitBytes: env.metrics.STORAGE_LIMIT_BYTES ?? null,
  })
}
