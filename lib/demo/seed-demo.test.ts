import { type Kysely, type RawBuilder, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dorShape } from '../../bench/bare-dor-schema'
import { dorSeedCounts, seedDor } from '../../bench/seed-dor'
import { dorMigrations, dorMigrator } from '../../migrations/index'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { type DemoSeedSummary, seedDemo } from './seed-demo'

const NAMES = Object.keys(dorMigrations)
const ALL_BUT_NEWEST = NAMES[NAMES.length - 2]

async function count(db: Kysely<any>, query: RawBuilder<{ n: number }>): Promise<number> {
  const { rows } = await query.execute(db)
  return rows[0].n
}

const orphanAgendaItems = sql<{ n: number }>`
  SELECT count(*)::int AS n FROM agenda_item AS a LEFT JOIN meeting AS m ON m.id = a.meeting_id WHERE m.id IS NULL`
const orphanFileUploads = sql<{ n: number }>`
  SELECT count(*)::int AS n FROM fileupload AS f LEFT JOIN agenda_item AS a ON a.id = f.agenda_item_id
  WHERE f.agenda_item_id IS NOT NULL AND a.id IS NULL`

describe('seedDemo', () => {
  let fresh: FreshDatabase
  let summary: DemoSeedSummary
  let elapsedMs: number

  beforeAll(async () => {
    fresh = await freshDatabase('dor_demo')
    const { error } = await dorMigrator(fresh.db).migrateTo(ALL_BUT_NEWEST)
    if (error) throw error
    const started = performance.now()
    summary = await seedDemo(fresh.db)
    elapsedMs = performance.now() - started
  })
  afterAll(async () => {
    await fresh?.drop()
  })

  it('creates the planned demo, quickly', () => {
    expect(elapsedMs).toBeLessThan(2_000)
    expect(summary).toEqual({
      users: 80,
      meetings: 195,
      agendaItems: 985,
      fileUploads: 430,
      registrationRequests: 40,
      meetingAttendees: 784,
      problems: {
        orphanAgendaItems: 25,
        orphanFileUploads: 15,
        unattachedFileUploads: 30,
        notValidForeignKey: { table: 'meeting_attendee', constraint: 'meeting_attendee_user_id_fkey', violatingRows: 4 },
        unusedIndex: { table: 'meeting', index: 'meeting_title_idx' },
        tableWithoutPrimaryKey: 'meeting_attendee',
        roleSpellings: { ADMIN: 1, SECRETARY: 1, FACULTY: 5, faculty: 5, STUDENT: 54, student: 14 },
        plainTextPasswords: 40,
        pendingWithExistingUsername: 4,
        meetingsEndingBeforeStart: 3,
        approvedWithoutProcessor: 3,
        avatars: 8,
      },
    })
  })

  it('creates exactly the orphans it reports', async () => {
    expect(await count(fresh.db, orphanAgendaItems)).toBe(summary.problems.orphanAgendaItems)
    expect(await count(fresh.db, orphanFileUploads)).toBe(summary.problems.orphanFileUploads)
  })

  it('has uploads with no agenda item, which are not orphans', async () => {
    const unattached = await count(fresh.db, sql`SELECT count(*)::int AS n FROM fileupload WHERE agenda_item_id IS NULL`)
    expect(unattached).toBe(30)
    const naiveOrphans = await count(fresh.db, sql`
      SELECT count(*)::int AS n FROM fileupload AS f LEFT JOIN agenda_item AS a ON a.id = f.agenda_item_id WHERE a.id IS NULL`)
    expect(naiveOrphans).toBe(summary.problems.orphanFileUploads + unattached)
  })

  it('adds a NOT VALID foreign key that existing rows violate', async () => {
    const { rows } = await sql<{ convalidated: boolean; contype: string }>`
      SELECT convalidated, contype FROM pg_constraint
      WHERE conname = 'meeting_attendee_user_id_fkey' AND conrelid = 'meeting_attendee'::regclass
    `.execute(fresh.db)
    expect(rows).toEqual([{ convalidated: false, contype: 'f' }])
    const violating = await count(fresh.db, sql`
      SELECT count(*)::int AS n FROM meeting_attendee AS a LEFT JOIN "user" AS u ON u.id = a.user_id WHERE u.id IS NULL`)
    expect(violating).toBe(4)
  })

  it('leaves meeting_attendee without a primary key', async () => {
    const { rows } = await sql`
      SELECT 1 FROM pg_constraint WHERE conrelid = 'meeting_attendee'::regclass AND contype = 'p'
    `.execute(fresh.db)
    expect(rows).toHaveLength(0)
  })

  it('has an index nothing has scanned', async () => {
    const { rows } = await sql<{ indexdef: string }>`
      SELECT indexdef FROM pg_indexes WHERE indexname = 'meeting_title_idx'
    `.execute(fresh.db)
    expect(rows[0].indexdef).toContain('(title)')
  })

  it('stores roles in mixed case while the userrole enum is used by no column', async () => {
    const { rows } = await sql<{ role: string }>`SELECT DISTINCT role FROM "user"`.execute(fresh.db)
    const roles = rows.map((r) => r.role)
    expect(roles).toEqual(expect.arrayContaining(['FACULTY', 'faculty', 'STUDENT', 'student']))
    const enumColumns = await count(fresh.db, sql`
      SELECT count(*)::int AS n FROM pg_attribute AS a JOIN pg_class AS c ON c.oid = a.attrelid
      WHERE a.atttypid IN ('userrole'::regtype, '_userrole'::regtype) AND a.attnum > 0 AND NOT a.attisdropped
        AND c.relkind IN ('r', 'p', 'v', 'm', 'f')`)
    expect(enumColumns).toBe(0)
  })

  it('keeps the registration workflow problems', async () => {
    const { rows } = await sql<{ password: string }>`
      SELECT password FROM registration_request WHERE status = 'pending' ORDER BY id LIMIT 1
    `.execute(fresh.db)
    expect(rows[0].password).toMatch(/^demo-plaintext-password-\d+$/)
  })

  it('leaves the newest migration pending, and it applies on top of the demo', async () => {
    const migrations = await dorMigrator(fresh.db).getMigrations()
    expect(migrations.filter((m) => !m.executedAt).map((m) => m.name)).toEqual([NAMES[NAMES.length - 1]])
    const { error } = await dorMigrator(fresh.db).migrateToLatest()
    expect(error).toBeUndefined()
  })

  it('refuses to seed a database that already has users', async () => {
    await expect(seedDemo(fresh.db)).rejects.toThrow(/empty DoR database/)
  })
})

// The bench seeder lives in bench/; it is tested here, beside the other seeder.
describe('seedDor', () => {
  let fresh: FreshDatabase
  beforeAll(async () => {
    fresh = await freshDatabase('dor_bench')
  })
  afterAll(async () => {
    await fresh?.drop()
  })

  it('migrates, then fills scale 1 with exact counts and 0.1 % orphans, repeatably', async () => {
    const expected = dorSeedCounts(1)
    expect(expected).toEqual({
      users: 1_000,
      meetings: 1_000,
      agendaItems: 10_000,
      fileUploads: 2_000,
      registrationRequests: 100,
      orphanAgendaItems: 10,
      orphanFileUploads: 2,
      unattachedFileUploads: 40,
    })
    for (let run = 0; run < 2; run++) {
      expect(await seedDor(fresh.db, 1)).toEqual(expected)
      const { rows: [c] } = await sql<Record<string, number>>`
        SELECT (SELECT count(*)::int FROM "user") AS users,
               (SELECT count(*)::int FROM meeting) AS meetings,
               (SELECT count(*)::int FROM agenda_item) AS agenda_items,
               (SELECT count(*)::int FROM fileupload) AS uploads,
               (SELECT count(*)::int FROM registration_request) AS requests,
               (SELECT count(*)::int FROM fileupload WHERE agenda_item_id IS NULL) AS unattached
      `.execute(fresh.db)
      expect(c).toEqual({ users: 1_000, meetings: 1_000, agenda_items: 10_000, uploads: 2_000, requests: 100, unattached: 40 })
      expect(await count(fresh.db, orphanAgendaItems)).toBe(10)
      expect(await count(fresh.db, orphanFileUploads)).toBe(2)
    }
    const pending = (await dorMigrator(fresh.db).getMigrations()).filter((m) => !m.executedAt)
    expect(pending).toHaveLength(0)
  })

  it('builds the bare shape by hand: the same rows, primary keys and foreign keys to "user" only', async () => {
    const bare = await freshDatabase('dor_bare')
    try {
      expect(await seedDor(bare.db, 1, () => {}, 'bare')).toEqual(dorSeedCounts(1))
      expect(await dorShape(bare.db)).toBe('bare')
      expect(await dorShape(fresh.db)).toBe('migrations')
      const { rows: indexes } = await sql<{ name: string }>`
        select indexname as name from pg_indexes where schemaname = 'public' order by 1`.execute(bare.db)
      expect(indexes.map((i) => i.name)).toEqual(['agenda_item_pkey', 'fileupload_pkey', 'meeting_pkey', 'registration_request_pkey', 'user_pkey'])
      const { rows: fks } = await sql<{ fk: string }>`
        select conrelid::regclass::text || ' -> ' || confrelid::regclass::text as fk from pg_constraint where contype = 'f' order by 1`.execute(bare.db)
      expect(fks.map((f) => f.fk)).toEqual(['agenda_item -> "user"', 'fileupload -> "user"', 'meeting -> "user"', 'registration_request -> "user"'])
      expect(await count(bare.db, orphanAgendaItems)).toBe(10)
      expect(await count(bare.db, orphanFileUploads)).toBe(2)
      const { rows: migrated } = await sql<{ t: string | null }>`select to_regclass('kysely_migration')::text as t`.execute(bare.db)
      expect(migrated[0].t).toBeNull()
    } finally {
      await bare.drop()
    }
  })
})
