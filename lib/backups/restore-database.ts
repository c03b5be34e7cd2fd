import { sql } from 'kysely'
import { createDb, withDatabase } from '../db/connect'
import { targetIdentity } from '../db/target-identity'
import { BackupError } from './backup-error'

export interface TargetServer {
  /** The target's identity key: the catalogue files its backups under it. */
  key: string
  database: string
  serverVersion: string
  serverVersionNum: number
  encoding: string
  collate: string
  ctype: string
  icuLocale: string | null
}

export async function describeTarget(targetUrl: string): Promise<TargetServer> {
  const db = createDb(targetUrl, { max: 1, applicationName: 'dbadmin restore' })
  try {
    const { rows } = await sql<Omit<TargetServer, 'key'>>`
      select d.datname as database, current_setting('server_version') as "serverVersion",
             current_setting('server_version_num')::int as "serverVersionNum",
             pg_encoding_to_char(d.encoding) as encoding, d.datcollate as collate, d.datctype as ctype,
             case when d.datlocprovider = 'i' then d.daticulocale end as "icuLocale"
      from pg_database d where d.datname = current_database()
    `.execute(db)
    return { ...rows[0], key: (await targetIdentity(db)).key }
  } finally {
    await db.destroy()
  }
}

/** PostgreSQL's limit on names, in bytes. */
const NAME_BYTES = 63

export function checkDatabaseName(name: string): void {
  if (!name || Buffer.byteLength(name) > NAME_BYTES || name.includes('\0')) {
    throw new BackupError('invalid_input', `A database name has 1 to ${NAME_BYTES} bytes.`)
  }
}

/**
 * A new, empty database on the target's server, from template0 with the target's encoding and
 * locale, so that a restore into it neither meets objects of template1 nor sorts text differently.
 */
export async function createRestoreDatabase(targetUrl: string, target: TargetServer, name: string): Promise<string> {
  checkDatabaseName(name)
  const db = createDb(targetUrl, { max: 1 })
  try {
    const exists = await db.selectFrom('pg_database').select('datname').where('datname', '=', name).executeTakeFirst()
    if (exists) throw new BackupError('conflict', `A database named ${JSON.stringify(name)} already exists: choose another name.`)
    const icu = target.icuLocale ? sql` locale_provider = icu icu_locale = ${sql.lit(target.icuLocale)}` : sql``
    await sql`create database ${sql.id(name)} template template0 encoding ${sql.lit(target.encoding)}
      lc_collate ${sql.lit(target.collate)} lc_ctype ${sql.lit(target.ctype)}${icu}`.execute(db)
  } catch (e) {
    if (e instanceof BackupError) throw e
    throw new BackupError('restore_failed', `Could not create the database ${JSON.stringify(name)} (${(e as Error).message}); the role needs CREATEDB.`)
  } finally {
    await db.destroy()
  }
  return withDatabase(targetUrl, name)
}

export async function dropRestoreDatabase(targetUrl: string, name: string): Promise<void> {
  const db = createDb(targetUrl, { max: 1 })
  try {
    await sql`drop database if exists ${sql.id(name)} with (force)`.execute(db)
  } finally {
    await db.destroy()
  }
}
