import path from 'node:path'
import { loadConfig } from '../lib/config'
import { withDatabase } from '../lib/db/connect'
import { startCluster } from '../lib/embedded/cluster'
import { ensureDatabase } from '../lib/runtime/cluster-databases'
import { loadOrCreateSecrets } from '../lib/runtime/secrets'

export interface BenchDatabase {
  url: string
  /** Stops the embedded cluster when this process started it. */
  close(): Promise<void>
}

/**
 * The database a benchmark works on: the given URL, or a database of that name in the embedded
 * cluster (started when it is not running), so that benchmarks need no setup either.
 */
export async function openBenchDatabase(name: string, url?: string): Promise<BenchDatabase> {
  if (url) return { url, close: async () => {} }
  const config = loadConfig(process.env, { purpose: 'cli' })
  const secrets = loadOrCreateSecrets(config.dataPath)
  const cluster = await startCluster({
    pgdata: path.join(config.dataPath, 'postgres'),
    password: secrets.postgresPassword,
    whenRunning: 'share',
  })
  await ensureDatabase(cluster.url('postgres'), name)
  return { url: withDatabase(cluster.url('postgres'), name), close: () => cluster.stop() }
}
