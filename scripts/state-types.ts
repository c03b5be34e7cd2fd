/**
 * npm run db:state-types [-- --url postgres://…] — writes db/state-schema.ts from a freshly
 * migrated state database. With --url, a scratch database is made (and dropped) on that server,
 * whose login needs CREATEDB; without it, a temporary embedded cluster is started and removed.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import { createDb, withDatabase } from '../lib/db/connect'
import { startCluster } from '../lib/embedded/cluster'
import { dropDatabase, ensureDatabase } from '../lib/runtime/cluster-databases'
import { migrateStateDb } from '../lib/state/migrate-state'
import { STATE_SCHEMA_FILE, generateStateSchema } from '../lib/state/state-schema-codegen'

async function fromServer(adminUrl: string): Promise<string> {
  const name = `dbadmin_state_types_${randomBytes(4).toString('hex')}`
  await ensureDatabase(adminUrl, name)
  const url = withDatabase(adminUrl, name)
  try {
    const db = createDb(url, { max: 1, applicationName: 'dbadmin state-types' })
    try {
      await migrateStateDb(db)
    } finally {
      await db.destroy()
    }
    return await generateStateSchema(url)
  } finally {
    await dropDatabase(adminUrl, name)
  }
}

async function fromEmbeddedCluster(): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbadmin-state-types-'))
  const cluster = await startCluster({ pgdata: path.join(dir, 'postgres'), password: randomBytes(12).toString('hex'), whenRunning: 'adopt' })
  try {
    return await fromServer(cluster.url('postgres'))
  } finally {
    await cluster.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

async function main() {
  // strict: an unknown flag stops the command.
  const { values } = parseArgs({ options: { url: { type: 'string' } }, strict: true, allowPositionals: false })
  const source = values.url ? await fromServer(values.url) : await fromEmbeddedCluster()
  const file = path.resolve(import.meta.dirname, '..', STATE_SCHEMA_FILE)
  fs.writeFileSync(file, source)
  console.log(`wrote ${STATE_SCHEMA_FILE}`)
}

main().catch((e: unknown) => {
  console.error(`db:state-types: ${e instanceof Error ? e.message : String(e)}`)
  process.exitCode = 1
})
