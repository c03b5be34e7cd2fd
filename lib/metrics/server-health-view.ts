import 'server-only'
import { stateDb, targetDb } from '../db/server-dbs'
import { targetIdentity } from '../db/target-identity'
import { serverEnv } from '../runtime/server-env'
import { readHealthView, type HealthView } from './health-view'
import type { SeriesRange } from './series'

/** The Health page's data for one range, as the page renders it and its live route answers. */
export async function serverHealthView(range: SeriesRange): Promise<HealthView> {
  const env = serverEnv()
  const { key } = await targetIdentity(targetDb())
  return readHealthView(stateDb(), key, range, { intervalSeconds: env.metrics.METRICS_INTERVAL_SECONDS, storageLimitBytes: env.metrics.STORAGE_LIMIT_BYTES ?? null })
}
