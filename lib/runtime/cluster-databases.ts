import { sql } from 'kysely'
import { createDb } from '../db/connect'

/** Creates the database when it does not exist; returns true when it was created. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<boolean> {
  const db = createDb(adminUrl, { max: 1 })
  try {
    const exists = await db
      .selectFrom('pg_database')
      .select('datname')
      .where('datname', '=', name)
      .executeTakeFirst()
    if (exists) return false
    await sql`create database ${sql.id(name)}`.execute(db)
    return true
  } finally {
    await db.destroy()
  }
}

export async function databaseExists(adminUrl: string, name: string): Promise<boolean> {
  const db = createDb(adminUrl, { max: 1 })
  try {
    return !!(await db.selectFrom('pg_database').select('datname').where('datname', '=', name).executeTakeFirst())
  } finally {
    await db.destroy()
  }
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const db = createDb(adminUrl, { max: 1 })
  try {
    await sql`drop database if exists ${sql.id(name)} with (force)`.execute(db)
  } finally {
    await db.destroy()
  }
}

export async function renameDatabase(adminUrl: string, from: string, to: string): Promise<void> {
  const db = createDb(adminUrl, { max: 1 })
  try {
    await sql`alter database ${sql.id(from)} rename to ${sql.id(to)}`.execute(db)
  } finally {
    await db.destroy()
  }
}
