import fs from 'node:fs'
import path from 'node:path'
import pg from 'pg'
import { E2E } from './e2e-env'

/** Runs `fn` on the e2e server's state database (the embedded cluster of E2E.dataDir). */
export async function withStateDb<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const secrets = JSON.parse(fs.readFileSync(path.join(E2E.dataDir, 'secrets.json'), 'utf8')) as { postgresPassword: string }
  // postmaster.pid's fourth line is the port.
  const port = Number(fs.readFileSync(path.join(E2E.dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[3])
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password: secrets.postgresPassword, database: 'dbadmin_state' })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}
