import { randomBytes } from 'node:crypto'
import { type Kysely, Migrator, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { STATE_MIGRATION_LOCK_TABLE, STATE_MIGRATION_TABLE, stateMigrations } from '@/db/migrations'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { userObjects } from '../../test/user-objects'
import { createDb } from '../db/connect'
import { restrictedReader } from '../db/reader-login'
import { StaticMigrationProvider } from '../db/static-migration-provider'
import { buildDemoDatabase } from '../demo/prepare-demo'
import { adoptUnkeyedRows } from '../state/adopt-unkeyed'
import { migrateStateDb } from '../state/migrate-state'
import { targetIdentity } from '../db/target-identity'
import { customRuleFindings, listCustomRules, RULE_VALIDATION } from './custom-rules'
import { getIntegrityRun, runFindings } from './run-store'
import { startTestJobs, testJobServices } from '../../test/test-jobs'

/**
 * Rules saved before rules ran as a read-only role passed only the old runner. The next run (here
 * a scheduled one) re-checks each once: those that still pass are kept, the others are disabled
 * with a note, and nothing they try reaches the target.
 */

const ROLE = `rule_reader_${randomBytes(4).toString('hex')}`
let target: FreshDatabase
let state: FreshDatabase
let cluster: Kysely<any>

const OLD_RULES = {
  kept: 'select id, title from meeting where title is null',
  committed: "select 1) x; COMMIT; CREATE TABLE saved_before_fix (id int); SELECT 1 FROM (select 1",
  readsFiles: "select pg_read_file('postgresql.conf') as conf",
  alreadyOff: "select 1) x; COMMIT; DROP TABLE meeting CASCADE; SELECT 1 FROM (select 1",
  // Its session ends under it: the server's doing as far as the runner can tell, not a reason to disable.
  endsItsSession: 'select pg_terminate_backend(pg_backend_pid())',
}

beforeAll(async () => {
  cluster = createDb(inject('pgAdminUrl'), { max: 1 })
  target = await freshDatabase('revalidate')
  await buildDemoDatabase(target.db)
  state = await freshDatabase('revalidate_state')
  // The state database as it was before this fix, with rules saved then.
  const migrator = new Migrator({
    db: state.db,
    provider: new StaticMigrationProvider(stateMigrations),
    migrationTableName: STATE_MIGRATION_TABLE,
    migrationLockTableName: STATE_MIGRATION_LOCK_TABLE,
  })
  const { error } = await migrator.migrateTo('20261127_000007_integrity_fixes')
  if (error) throw error
  for (const [name, query] of Object.entries(OLD_RULES)) {
    await state.db.insertInto('integrity_rule').values({ name, query, enabled: name !== 'alreadyOff', updated_by: 'admin@before.fix' }).execute()
  }
  await migrateStateDb(state.db)
  // As a start does: rows recorded before targets were keyed go to the first target of their database name.
  await adoptUnkeyedRows(state.db, await targetIdentity(target.db))
})
afterAll(async () => {
  await target?.drop()
  await state?.drop()
  await sql`drop role if exists ${sql.id(ROLE)}`.execute(cluster)
  await cluster?.destroy()
})

async function finished(id: number) {
  for (let i = 0; i < 300; i++) {
    const run = await getIntegrityRun(state.db, id)
    if (run && !['queued', 'running'].includes(run.status)) return run
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error('run did not finish')
}

const byName = async () => Object.fromEntries((await listCustomRules(state.db, (await targetIdentity(target.db)).key)).map((r) => [r.name, r]))

describe('rules saved before rules ran as a read-only role', () => {
  it('are marked for one re-check by the migration', async () => {
    const rules = await byName()
    expect(Object.values(rules).map((r) => [r.name, r.validation, r.disabledNote])).toEqual([
      ['alreadyOff', 0, null],
      ['committed', 0, null],
      ['endsItsSession', 0, null],
      ['kept', 0, null],
      ['readsFiles', 0, null],
    ])
  })

  it('are not disabled when the reader itself is missing: that is not their fault', async () => {
    const owner = `owner_${ROLE}`
    await sql`create role ${sql.id(owner)} login password 'owner-password-1'`.execute(cluster)
    const u = new URL(target.url)
    u.username = owner
    u.password = 'owner-password-1'
    const ownerDb = createDb(u.toString(), { max: 1 })
    try {
      const unavailable = restrictedReader({ target: ownerDb, targetUrl: u.toString(), state: state.db, roleName: ROLE })
      const found = await customRuleFindings(unavailable, state.db, (await targetIdentity(target.db)).key, 5000)
      expect(found.map((f) => f.title)).toEqual(['committed', 'endsItsSession', 'kept', 'readsFiles'])
      for (const f of found) {
        expect(f.count).toBeNull()
        expect(f.error).toMatch(new RegExp(`^Custom rules run as a separate read-only role, and ${owner} cannot create one \\(permission denied to create role\\)\\. Set RULE_READER_DATABASE_URL `))
      }
      expect(Object.values(await byName()).map((r) => [r.name, r.enabled, r.validation])).toEqual([
        ['alreadyOff', false, 0],
        ['committed', true, 0],
        ['endsItsSession', true, 0],
        ['kept', true, 0],
        ['readsFiles', true, 0],
      ])
    } finally {
      await ownerDb.destroy()
      await sql`drop role ${sql.id(owner)}`.execute(cluster)
    }
  })

  it('are re-checked once by the next scheduled run: failing ones are disabled with a note, and none reaches the target', async () => {
    const objects = await userObjects(target.db)
    const reader = restrictedReader({ target: target.db, targetUrl: target.url, state: state.db, roleName: ROLE })
    const jobs = await startTestJobs(target, state, {}, { ruleReader: () => reader, settings: { ...(await testJobServices(target, state)).settings, integrityCheckTimeoutMs: 5000 } })
    let id: number | null
    try {
      id = (await jobs.enqueue('integrity.run', {}, { startedBy: 'schedule', trigger: 'schedule' })).refId
      await finished(id!)
    } finally {
      await jobs.stop(5_000)
    }
    expect(await finished(id!)).toMatchObject({ status: 'succeeded' })
    expect(await userObjects(target.db)).toEqual(objects)

    const found = (await runFindings(state.db, id!)).filter((f) => f.detail?.custom === true)
    const note = (message: string) => `Disabled: saved before rules ran as a read-only role, it does not run as one: ${message}`
    expect(found.map((f) => [f.title, f.count, f.error ?? null])).toEqual([
      ['committed', null, note('syntax error at or near ";"')],
      ['endsItsSession', null, 'terminating connection due to administrator command'],
      ['kept', 0, null],
      ['readsFiles', null, note('permission denied for function pg_read_file')],
    ])
    const rules = await byName()
    expect(Object.values(rules).map((r) => [r.name, r.enabled, r.validation, r.disabledNote])).toEqual([
      ['alreadyOff', false, 0, null],
      ['committed', false, 0, note('syntax error at or near ";"')],
      ['endsItsSession', true, 0, null],
      ['kept', true, RULE_VALIDATION, null],
      ['readsFiles', false, 0, note('permission denied for function pg_read_file')],
    ])

    // Once: the next run runs the kept rule only, and disables nothing more.
    const again = await customRuleFindings(reader, state.db, (await targetIdentity(target.db)).key, 5000)
    expect(again.map((f) => [f.title, f.count])).toEqual([
      ['endsItsSession', null],
      ['kept', 0],
    ])
  })
})
