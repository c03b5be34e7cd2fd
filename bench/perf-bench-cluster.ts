import path from 'node:path'
import { loadConfig } from '../lib/config'
import { withDatabase } from '../lib/db/connect'
import { startCluster } from '../lib/embedded/cluster'
import { ensureDatabase } from '../lib/runtime/cluster-databases'
import { loadOrCreateSecrets } from '../lib/runtime/secrets'
import type { BenchDatabase } from './bench-database'

/**
 * The performance benchmarks' own embedded cluster (DATA_DIR/bench-perf), not the app's: 200
 * sessions need more than the app's max_connections of 100, and 5,000 distinct statements more
 * than pg_stat_statements' default 5,000 entries once the benchmark's own are counted.
 * With --database-url the benchmark runs on that server instead, as it is configured.
 */
export async function openPerfBenchDatabase(name: string, url?: string): Promise<BenchDatabase> {
  if (url) return { url, close: async () => {} }
  const config = loadConfig(process.env, { purpose: 'cli' })
  const secrets = loadOrCreateSecrets(config.dataPath)
  const cluster = await startCluster({
    pgdata: path.join(config.dataPath, 'bench-perf', 'postgres'),
    password: secrets.postgresPassword,
    whenRunning: 'adopt',
    settings: { max_connections: '300', 'pg_stat_statements.max': '10000' },
  })
  await ensureDatabase(cluster.url('postgres'), name)
  return { url: withDatabase(cluster.url('postgres'), name), close: () => cluster.stop() }
}
