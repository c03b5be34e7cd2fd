import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import path from 'node:path'
import type { Kysely } from 'kysely'
import { sql } from 'kysely'
import pg from 'pg'
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

// A session-level advisory lock on the target, held by the check that owns a scratch database for
// as long as the database exists: a scratch database whose lock is free belongs to a check whose
// process died, exactly (no heartbeat to wait out). Advisory locks belong to one database, so
// owners and cleaners all take them in the target database.
const SCRATCH_LOCK_CLASS = 0x44_6f_53 // 'DoS'

/** The lock key of one scratch database, as pg_advisory_lock(int4, int4) takes it. */
function ownerKey(name: string): number {
  return createHash('sha256').update(name).digest().readInt32BE(0)
}

async function targetClient(targetUrl: string, applicationName: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: targetUrl, application_name: applicationName, connectionTimeoutMillis: 10_000 })
  client.on('error', () => {})
  await client.connect()
  return client
}

export interface ScratchDatabaseInfo {
  name: string
  /** rehearsal, drift, replay */
  purpose: string
  /** A running check owns it; otherwise it is a leftover of a check whose process died. */
  inUse: boolean
  sizeBytes: number | null
}

/** This target's scratch databases on its server: in use by a running check, or left behind. */
export async function listScratchDatabases(targetUrl: string): Promise<ScratchDatabaseInfo[]> {
  const client = await targetClient(targetUrl, 'dor-db-admin')
  try {
    const prefix = scratchPrefix(targetUrl)
    const { rows } = await client.query<{ name: string; size: number | null }>(
      `select datname as name, case when has_database_privilege(oid, 'CONNECT') then pg_database_size(oid) end as size
         from pg_database where starts_with(datname, $1) order by datname`,
      [prefix],
    )
    if (rows.length === 0) return []
    const { rows: held } = await client.query<{ objid: string }>(
      `select objid::text from pg_locks where locktype = 'advisory' and classid = $1 and objsubid = 2 and granted
          and database = (select oid from pg_database where datname = current_database())`,
      [SCRATCH_LOCK_CLASS],
    )
    const owned = new Set(held.map((h) => Number(h.objid)))
    return rows.map((r) => ({
      name: r.name,
      purpose: r.name.slice(prefix.length).replace(/_[0-9a-f]{8}$/, ''),
      // pg_locks shows the int4 key as an unsigned oid.
      inUse: owned.has(ownerKey(r.name) >>> 0),
      sizeBytes: r.size === null ? null : Number(r.size),
    }))
  } finally {
    await client.end().catch(() => {})
  }
}

/**
 * Drops this target's scratch databases whose owning check is gone (its advisory lock is free).
 * Taking the lock first makes it safe beside checks that are running and beside another cleaner.
 * Run at start and before each check; returns what was dropped and what could not be.
 */
export async function dropDeadScratchDatabases(targetUrl: string): Promise<{ dropped: string[]; failed: { name: string; error: string }[] }> {
  const out = { dropped: [] as string[], failed: [] as { name: string; error: string }[] }
  const client = await targetClient(targetUrl, 'dor-db-admin scratch cleanup')
  try {
    const { rows } = await client.query<{ name: string }>('select datname as name from pg_database where starts_with(datname, $1)', [
      scratchPrefix(targetUrl),
    ])
    for (const { name } of rows) {
      const key = ownerKey(name)
      const { rows: got } = await client.query<{ ok: boolean }>('select pg_try_advisory_lock($1, $2) as ok', [SCRATCH_LOCK_CLASS, key])
      if (!got[0].ok) continue
      try {
        // CREATE/DROP DATABASE take no parameters: the name is quoted by the driver.
        await client.query(`drop database if exists ${client.escapeIdentifier(name)} with (force)`)
        out.dropped.push(name)
      } catch (e) {
        out.failed.push({ name, error: (e as Error).message })
      } finally {
        await client.query('select pg_advisory_unlock($1, $2)', [SCRATCH_LOCK_CLASS, key]).catch(() => {})
      }
    }
  } finally {
    await client.end().catch(() => {})
  }
  return out
}

/** A scratch database name of this target, owned (its advisory lock held) by a session of its own. */
export interface ScratchClaim {
  name: string
  /** The owning session, on the target database. */
  owner: pg.Client
  /** Ends the owning session: a database of this name that still exists is a leftover from then on. */
  release(): Promise<void>
}

/**
 * Claims a free scratch database name for `purpose` before the database is made, so that no
 * cleaner (dropDeadScratchDatabases, run before every check) takes it for a dead check's leftover
 * while it is used: rehearsals, drift and replay checks here, restore drills and renamed table
 * restores in lib/backups. Leftovers of checks that died are dropped first.
 */
export async function claimScratchName(targetUrl: string, purpose: string): Promise<ScratchClaim> {
  await dropDeadScratchDatabases(targetUrl).catch(() => {})
  const owner = await targetClient(targetUrl, `dbadmin ${purpose} (scratch owner)`.slice(0, 63))
  let name = ''
  try {
    // A random name whose lock nobody holds (a collision of two random names is all but impossible).
    for (let i = 0; !name && i < 5; i++) {
      const candidate = `${scratchPrefix(targetUrl)}${purpose}_${randomBytes(4).toString('hex')}`
      const { rows } = await owner.query<{ ok: boolean }>('select pg_try_advisory_lock($1, $2) as ok', [SCRATCH_LOCK_CLASS, ownerKey(candidate)])
      if (rows[0].ok) name = candidate
    }
    if (!name) throw new Error('no free scratch database name')
  } catch (e) {
    await owner.end().catch(() => {})
    throw e
  }
  return { name, owner, release: () => owner.end().catch(() => {}) }
}

/**
 * An empty throwaway database on the target's server, for rehearsals, drift and replay checks.
 * Needs CREATEDB on the target's role; the target itself is never touched. Leftovers of checks
 * that died are dropped first.
 */
export async function createScratchDatabase(targetUrl: string, purpose: string): Promise<ScratchDatabase> {
  let claim: ScratchClaim | undefined
  try {
    claim = await claimScratchName(targetUrl, purpose)
    await claim.owner.query(`create database ${claim.owner.escapeIdentifier(claim.name)}`)
  } catch (e) {
    await claim?.release()
    throw new Error(
      `Could not create a scratch database on the target's server (${(e as Error).message}). The role needs CREATEDB for rehearsals, drift and replay checks.`,
    )
  }
  const { name, owner } = claim
  const url = withDatabase(targetUrl, name)
  const db = createDb(url, { max: 2, applicationName: `dbadmin ${purpose} (scratch)` })
  return {
    name,
    url,
    db,
    async drop() {
      await db.destroy().catch(() => {})
      try {
        await owner.query(`drop database if exists ${owner.escapeIdentifier(name)} with (force)`)
      } finally {
        // Ending the session frees the lock: a database that could not be dropped is a leftover now.
        await owner.end().catch(() => {})
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
