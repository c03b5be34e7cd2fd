import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { type Kysely, sql } from 'kysely'
import { createDb, withDatabase } from '../lib/db/connect'
import { targetIdentity } from '../lib/db/target-identity'
import { buildDemoDatabase } from '../lib/demo/prepare-demo'
import { dropDatabase } from '../lib/runtime/cluster-databases'
import { type FreshDatabase, freshDatabase } from './fresh-db'
import { freshStateDb } from './state-db'

export const PG_BIN_DIR = process.env.PG_BIN_DIR ?? '/usr/lib/postgresql/15/bin'

export interface BackupFixture {
  target: FreshDatabase
  state: Awaited<ReturnType<typeof freshStateDb>>
  dir: string
  /** What most calls take; targetKey is the target's identity key, which the catalogue files backups under. */
  common: { targetUrl: string; dir: string; pgBinDir: string; targetKey: string }
  /** Databases the test made (restores), dropped at the end. */
  made: string[]
  /** A connection to another database of the cluster. */
  open(database: string): Kysely<any>
  close(): Promise<void>
}

/** A DoR demo target (migrations, seeded rows with their planted problems), a state database and a backup directory. */
export async function backupFixture(prefix: string): Promise<BackupFixture> {
  const target = await freshDatabase(prefix)
  await buildDemoDatabase(target.db)
  const state = await freshStateDb()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `dbadmin-${prefix}-`))
  const opened: Kysely<any>[] = []
  const made: string[] = []
  return {
    target,
    state,
    dir,
    common: { targetUrl: target.url, dir: path.join(dir, 'backups'), pgBinDir: PG_BIN_DIR, targetKey: (await targetIdentity(target.db)).key },
    made,
    open(database) {
      const db = createDb(withDatabase(target.url, database), { max: 2 })
      opened.push(db)
      return db
    },
    async close() {
      await Promise.all(opened.map((d) => d.destroy()))
      for (const m of made) await dropDatabase(target.url, m)
      await target.drop()
      await state.drop()
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Exact row counts of every user table, keyed "schema.table". */
export async function rowCounts(db: Kysely<any>): Promise<Record<string, number>> {
  const { rows } = await sql<{ s: string; t: string }>`
    select n.nspname as s, c.relname as t from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind = 'r' and n.nspname !~ '^pg_' and n.nspname <> 'information_schema' order by 1, 2`.execute(db)
  const out: Record<string, number> = {}
  for (const r of rows) {
    const { rows: n } = await sql<{ n: string }>`select count(*) as n from only ${sql.id(r.s, r.t)}`.execute(db)
    out[`${r.s}.${r.t}`] = Number(n[0].n)
  }
  return out
}

export async function databaseExists(db: Kysely<any>, name: string): Promise<boolean> {
  return !!(await db.selectFrom('pg_database').select('datname').where('datname', '=', name).executeTakeFirst())
}
