import { randomBytes } from 'node:crypto'
import { CompiledQuery, type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { createDb } from '../db/connect'
import { setupLogins, setupScriptBundle } from './setup-logins'

// What the Security page tells an admin to do: run the script as a superuser (as psql -f does, the
// whole text at once), then use the settings. Roles are cluster-wide: a prefix of this file's own.
const prefix = `sl_${randomBytes(3).toString('hex')}`

let fresh: FreshDatabase

beforeAll(async () => {
  fresh = await freshDatabase('setuplogins')
  await fresh.db.executeQuery(CompiledQuery.raw(`create table meeting (id serial primary key, title text); insert into meeting (title) values ('one')`))
})
afterAll(async () => {
  await fresh?.drop()
  const cluster = createDb(inject('pgAdminUrl'), { max: 1 })
  try {
    for (const l of setupLogins(prefix)) {
      for (const r of [l.login, l.role]) await sql`drop role if exists ${sql.id(r)}`.execute(cluster)
    }
  } finally {
    await cluster.destroy()
  }
})

async function who(url: string): Promise<{ login: string; canWrite: boolean; rows: number | null }> {
  const db: Kysely<any> = createDb(url, { max: 1 })
  try {
    const { rows } = await sql<{ login: string; can_write: boolean }>`
      select session_user::text as login, has_table_privilege('public.meeting', 'INSERT') as can_write`.execute(db)
    const count = await sql<{ n: number }>`select count(*)::int as n from public.meeting`.execute(db).then((r) => r.rows[0].n, () => null)
    return { login: rows[0].login, canWrite: rows[0].can_write, rows: count }
  } finally {
    await db.destroy()
  }
}

describe('the least-privilege script with its settings', () => {
  it('runs as one text, and each setting logs in as its login with that login’s rights', async () => {
    const bundle = await setupScriptBundle(fresh.db, fresh.url, { prefix })
    await fresh.db.executeQuery(CompiledQuery.raw(bundle.script))
    const settings = Object.fromEntries(
      bundle.environment
        .trim()
        .split('\n')
        .map((line) => {
          const [, name, value] = /^([A-Z_]+)='(.*)'$/.exec(line)!
          return [name, value]
        }),
    )
    expect(await who(settings.DATABASE_URL)).toEqual({ login: `${prefix}_monitor`, canWrite: false, rows: null })
    expect(await who(settings.MONITOR_DATABASE_URL)).toEqual({ login: `${prefix}_monitor`, canWrite: false, rows: null })
    expect(await who(settings.BACKUP_DATABASE_URL)).toEqual({ login: `${prefix}_backup_runner`, canWrite: false, rows: 1 })
    expect(await who(settings.RULE_READER_DATABASE_URL)).toEqual({ login: `${prefix}_rule_reader`, canWrite: false, rows: 1 })
    expect(await who(settings.MIGRATOR_DATABASE_URL)).toEqual({ login: `${prefix}_migrator`, canWrite: true, rows: 1 })
    expect((await who(settings.MAINTENANCE_DATABASE_URL)).login).toBe(`${prefix}_maintainer`)
    expect(await who(settings.SIGNAL_DATABASE_URL)).toEqual({ login: `${prefix}_signaller`, canWrite: false, rows: null })
    expect(bundle.logins.map((l) => l.variable)).toEqual(['MONITOR_DATABASE_URL', 'RULE_READER_DATABASE_URL', 'MIGRATOR_DATABASE_URL', 'BACKUP_DATABASE_URL', 'MAINTENANCE_DATABASE_URL', 'SIGNAL_DATABASE_URL'])
  })

  it('quotes a URL for the shell', async () => {
    const odd = new URL(fresh.url)
    odd.pathname = "/it's"
    const bundle = await setupScriptBundle(fresh.db, odd.toString(), { prefix })
    const line = bundle.environment.split('\n')[0]
    expect(line).toMatch(/^DATABASE_URL='postgres:\/\/.*'$/)
    expect(line).toContain(`it'\\''s`)
  })
})
