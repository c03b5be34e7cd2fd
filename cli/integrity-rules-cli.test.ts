import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createDb } from '../lib/db/connect'
import { buildDemoDatabase } from '../lib/demo/prepare-demo'
import { migrateStateDb } from '../lib/state/migrate-state'
import { type FreshDatabase, freshDatabase } from '../test/fresh-db'
import { runDbadmin } from '../test/run-command'

/** `dbadmin integrity` runs admins' own rules as RULE_READER_DATABASE_URL, and refuses a superuser there. */

const READER = `cli_reader_${randomBytes(4).toString('hex')}`
const PASSWORD = randomBytes(12).toString('hex')
let target: FreshDatabase
let state: FreshDatabase

beforeAll(async () => {
  target = await freshDatabase('cli_rules_target')
  state = await freshDatabase('cli_rules_state')
  await buildDemoDatabase(target.db)
  await migrateStateDb(state.db)
  await sql`create role ${sql.id(READER)} login password ${sql.lit(PASSWORD)} in role pg_read_all_data`.execute(target.db)
  await state.db
    .insertInto('integrity_rule')
    .values({ name: 'Meetings ending before they start', query: 'select id from meeting where end_time < start_time', enabled: true, updated_by: 'admin@test.local', validation: 1 })
    .execute()
})
afterAll(async () => {
  await target?.drop()
  await state?.drop()
  const cluster = createDb(inject('pgAdminUrl'), { max: 1 })
  await sql`drop role if exists ${sql.id(READER)}`.execute(cluster)
  await cluster.destroy()
})

/** A rule that cannot run is a check error: exit 2, as any check that could not run. */
async function ruleFinding(readerUrl: string, expectedCode = 0) {
  const r = await runDbadmin(['integrity', '--json'], { DATABASE_URL: target.url, STATE_DATABASE_URL: state.url, RULE_READER_DATABASE_URL: readerUrl })
  expect(r.code, r.stderr).toBe(expectedCode)
  return JSON.parse(r.stdout).findings.find((f: { detail?: { custom?: boolean } }) => f.detail?.custom)
}

describe('dbadmin integrity and custom rules', () => {
  it('runs them as RULE_READER_DATABASE_URL, and refuses a superuser there with the reason', async () => {
    const u = new URL(target.url)
    u.username = READER
    u.password = PASSWORD
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from meeting where end_time < start_time`.execute(target.db)
    expect(await ruleFinding(u.toString())).toMatchObject({ title: 'Meetings ending before they start', count: rows[0].n })
    const refused = await ruleFinding(target.url, 2)
    expect(refused.count).toBeNull()
    expect(refused.error).toMatch(/^RULE_READER_DATABASE_URL logs in as postgres, which has SUPERUSER, CREATEROLE, CREATEDB, REPLICATION: /)
  })
})
