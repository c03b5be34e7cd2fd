import fs from 'node:fs'
import path from 'node:path'
import { findLivePostmaster } from '../lib/embedded/postmaster'
import { E2E } from './e2e-env'

/**
 * A URL into the e2e server's embedded cluster, for specs that must arrange what no page can
 * (what a killed process leaves on the server). Read from the data directory the server uses.
 */
export function e2eDatabaseUrl(database: string): string {
  const postmaster = findLivePostmaster(path.resolve(E2E.dataDir, 'postgres'))
  if (!postmaster) throw new Error(`the e2e cluster in ${E2E.dataDir}/postgres is not running`)
  const { postgresPassword } = JSON.parse(fs.readFileSync(path.join(E2E.dataDir, 'secrets.json'), 'utf8')) as { postgresPassword: string }
  return `postgres://postgres:${encodeURIComponent(postgresPassword)}@127.0.0.1:${postmaster.port}/${encodeURIComponent(database)}`
}
