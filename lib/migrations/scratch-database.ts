import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import path from 'node:path'
import { type Kysely, sql } from 'kysely'
import { createDb, withDatabase } from '../db/connect'
import { pgToolEnv } from '../db/pg-tool-env'

export interface ScratchDatabase {
  name: string
  url: string
  db: Kysely<any>
  /** Always called (finally): the scratch database is dropped even after a failure. */
  drop(): Promise<void>
}

/** Scratch databases of one target start with this, so that they can be told from others'. */
export function scratchPrefix(targetUrl: string): string {
  const database = decodeURIComponent(new URL(targetUrl).pathname.slice(1))
  return `dbadmin_scratch_${createHash('sha256').update(database).digest('hex').slice(0, 8)}_`
}

/**
 * An empty throwaway database on the target's server, for rehearsals, drift and replay checks.
 * Needs CREATEDB on the target's role; the target itself is never touched.
 */
export async function createScratchDatabase(targetUrl: string, purpose: string): Promise<ScratchDatabase> {
  const name = `${scratchPrefix(targetUrl)}${purpose}_${randomBytes(4).toString('hex')}`
  const admin = createDb(targetUrl, { max: 1 })
  try {
    await sql`create database ${sql.id(name)}`.execute(admin)
  } catch (e) {
    throw new Error(
      `Could not create a scratch database on the target's server (${(e as Error).message}). The role needs CREATEDB for rehearsals, drift and replay checks.`,
    )
  } finally {
    await admin.destroy()
  }
  const url = withDatabase(targetUrl, name)
  const db = createDb(url, { max: 2, applicationName: `dbadmin ${purpose} (scratch)` })
  return {
    name,
    url,
    db,
    async drop() {
      await db.destroy().catch(() => {})
      const a = createDb(targetUrl, { max: 1 })
      try {
        await sql`drop database if exists ${sql.id(name)} with (force)`.execute(a)
      } finally {
        await a.destroy()
      }
    },
  }
}

function run(bin: string, args: string[], env: NodeJS.ProcessEnv, input?: NodeJS.ReadableStream) {
  const child = spawn(bin, args, { env, stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (d) => (stderr += d))
  if (input) input.pipe(child.stdin!)
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${path.basename(bin)}: ${stderr.trim() || `exit ${code}`}`))))
  })
  return { child, done }
}

/**
 * Copies the target's schema (no data) into the scratch database with pg_dump | psql, plus the
 * rows of the migration table so that the migrator sees the same applied set.
 */
export async function copySchema(targetUrl: string, scratch: ScratchDatabase, pgBinDir: string, migrationTable: string) {
  const dump = run(path.join(pgBinDir, 'pg_dump'), ['--schema-only', '--no-owner', '--no-privileges', '--no-password'], pgToolEnv(targetUrl))
  const restore = run(
    path.join(pgBinDir, 'psql'),
    ['--quiet', '--no-psqlrc', '--no-password', '-v', 'ON_ERROR_STOP=1', '--single-transaction'],
    pgToolEnv(scratch.url),
    dump.child.stdout!,
  )
  await Promise.all([dump.done, restore.done])
  const source = createDb(targetUrl, { max: 1 })
  try {
    const { rows: present } = await sql<{ ok: boolean }>`select to_regclass(${migrationTable}) is not null as ok`.execute(source)
    if (!present[0].ok) return
    const rows = await source.selectFrom(migrationTable).selectAll().execute()
    if (rows.length) await scratch.db.insertInto(migrationTable).values(rows).execute()
  } finally {
    await source.destroy()
  }
}
