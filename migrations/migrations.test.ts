import { type Kysely, type MigrationResultSet, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadMigration } from '../lib/db/static-migration-provider'
import { type FreshDatabase, freshDatabase } from '../test/fresh-db'
import { DOR_MIGRATION_LOCK_TABLE, DOR_MIGRATION_TABLE, dorMigrations, dorMigrator } from './index'

const NAMES = Object.keys(dorMigrations)
const BEFORE_BACKFILL = '20240311_160000_convert_user_role_to_varchar'
const BACKFILL = '20240402_090000_backfill_agenda_item_order_index'

function must(result: MigrationResultSet): void {
  if (result.error) throw result.error
}

/**
 * Everything a migration can change in schema public, as comparable plain data. Column
 * positions are left out: a column dropped and added again gets a new attnum, which is
 * physical layout, not a schema difference.
 */
async function schemaSnapshot(db: Kysely<any>) {
  const ignored = [DOR_MIGRATION_TABLE, DOR_MIGRATION_LOCK_TABLE]
  const { rows: columns } = await sql`
    SELECT table_name, column_name, data_type, udt_name, character_maximum_length,
      is_nullable, column_default
    FROM information_schema.columns
    WHERE table_schema = 'public' AND table_name <> ALL(${ignored}::text[])
    ORDER BY table_name, column_name
  `.execute(db)
  const { rows: constraints } = await sql`
    SELECT c.conrelid::regclass::text AS table_name, c.conname, pg_get_constraintdef(c.oid) AS def, c.convalidated
    FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
    WHERE n.nspname = 'public' AND c.conrelid::regclass::text <> ALL(${ignored}::text[])
    ORDER BY 1, 2
  `.execute(db)
  const { rows: indexes } = await sql`
    SELECT tablename, indexname, indexdef FROM pg_indexes
    WHERE schemaname = 'public' AND tablename <> ALL(${ignored}::text[])
    ORDER BY 1, 2
  `.execute(db)
  const { rows: types } = await sql`
    SELECT t.typname, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_enum e ON e.enumtypid = t.oid
    WHERE n.nspname = 'public' GROUP BY t.typname ORDER BY 1
  `.execute(db)
  const { rows: sequences } = await sql`
    SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = 'public' ORDER BY 1
  `.execute(db)
  return { columns, constraints, indexes, types, sequences }
}

describe('DoR migration index', () => {
  it('lists timestamp-named migrations in the order they run', async () => {
    expect(NAMES.length).toBeGreaterThanOrEqual(6)
    for (const name of NAMES) expect(name).toMatch(/^\d{8}_\d{6}_[a-z0-9_]+$/)
    expect([...NAMES].sort()).toEqual(NAMES)
    for (const source of Object.values(dorMigrations)) expect(typeof (await loadMigration(source)).down).toBe('function')
  })
})

describe('DoR migrations on a real database', () => {
  let fresh: FreshDatabase
  beforeAll(async () => {
    fresh = await freshDatabase('dor_mig')
  })
  afterAll(async () => {
    await fresh?.drop()
  })

  it('undoes each migration exactly, one step at a time', async () => {
    const migrator = dorMigrator(fresh.db)
    for (const name of NAMES) {
      const before = await schemaSnapshot(fresh.db)
      must(await migrator.migrateUp())
      const after = await schemaSnapshot(fresh.db)
      expect(after, `${name} changed nothing`).not.toEqual(before)
      must(await migrator.migrateDown())
      expect(await schemaSnapshot(fresh.db), `${name} down`).toEqual(before)
      must(await migrator.migrateUp())
      expect(await schemaSnapshot(fresh.db), `${name} up again`).toEqual(after)
    }
  })

  it('reproduces the production drift at the newest version', async () => {
    must(await dorMigrator(fresh.db).migrateToLatest())
    const { rows: fks } = await sql<{ fk: string }>`
      SELECT conrelid::regclass::text || '.' || a.attname AS fk
      FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
      WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace
      ORDER BY 1
    `.execute(fresh.db)
    expect(fks.map((r) => r.fk)).toEqual([
      'agenda_item.user_id',
      'fileupload.user_id',
      'meeting.created_by',
      'registration_request.processed_by',
    ])
    const { rows: [role] } = await sql<{ data_type: string; len: number }>`
      SELECT data_type, character_maximum_length AS len FROM information_schema.columns
      WHERE table_name = 'user' AND column_name = 'role'
    `.execute(fresh.db)
    expect(role).toEqual({ data_type: 'character varying', len: 20 })
    const { rows: enumUsers } = await sql`
      SELECT 1 FROM pg_attribute WHERE atttypid = 'userrole'::regtype AND attnum > 0 AND NOT attisdropped
    `.execute(fresh.db)
    expect(enumUsers).toHaveLength(0)
  })

  it('leaves no DoR table, type or sequence after all up then all down', async () => {
    const migrator = dorMigrator(fresh.db)
    must(await migrator.migrateToLatest())
    for (const _ of NAMES) must(await migrator.migrateDown())
    const snapshot = await schemaSnapshot(fresh.db)
    expect(snapshot).toEqual({ columns: [], constraints: [], indexes: [], types: [], sequences: [] })
  })
})

describe('data migrations', () => {
  let fresh: FreshDatabase
  beforeAll(async () => {
    fresh = await freshDatabase('dor_data')
  })
  afterAll(async () => {
    await fresh?.drop()
  })

  it('backfills order_index on existing rows, then makes it NOT NULL', async () => {
    const { db } = fresh
    const migrator = dorMigrator(db)
    must(await migrator.migrateTo(BEFORE_BACKFILL))
    await sql`INSERT INTO "user" (id, username, email, hashed_password) VALUES (1, 'ada', 'ada@x.test', 'h')`.execute(db)
    // Two meetings' items inserted interleaved and out of creation order; 13 and 14 tie on
    // created_at, so id breaks the tie.
    await sql`
      INSERT INTO agenda_item (id, meeting_id, user_id, item_type, title, created_at) VALUES
        (10, 1, 1, 'announcement', 'a', '2024-03-01 10:00+00'),
        (11, 2, 1, 'announcement', 'b', '2024-03-01 09:00+00'),
        (12, 1, 1, 'student_update', 'c', '2024-03-01 08:00+00'),
        (13, 1, 1, 'student_update', 'd', '2024-03-01 11:00+00'),
        (14, 1, 1, 'presentation', 'e', '2024-03-01 11:00+00'),
        (15, 2, 1, 'student_update', 'f', '2024-03-01 12:00+00')
    `.execute(db)
    must(await migrator.migrateTo(BACKFILL))
    const { rows } = await sql<{ id: number; order_index: number }>`
      SELECT id, order_index FROM agenda_item ORDER BY id
    `.execute(db)
    expect(rows.map((r) => [r.id, r.order_index])).toEqual([
      [10, 2], [11, 1], [12, 1], [13, 3], [14, 4], [15, 2],
    ])
    const { rows: [col] } = await sql<{ is_nullable: string }>`
      SELECT is_nullable FROM information_schema.columns WHERE table_name = 'agenda_item' AND column_name = 'order_index'
    `.execute(db)
    expect(col.is_nullable).toBe('NO')

    must(await migrator.migrateTo(BEFORE_BACKFILL))
    const { rows: cols } = await sql`
      SELECT 1 FROM information_schema.columns WHERE table_name = 'agenda_item' AND column_name = 'order_index'
    `.execute(db)
    expect(cols).toHaveLength(0)
  })

  it('rolls mixed-case roles back into the enum by folding case', async () => {
    const { db } = fresh
    const migrator = dorMigrator(db)
    await sql`INSERT INTO "user" (id, username, email, hashed_password, role) VALUES (2, 'bo', 'bo@x.test', 'h', 'faculty')`.execute(db)
    must(await migrator.migrateDown())
    const { rows } = await sql<{ role: string; type: string }>`
      SELECT role::text AS role, pg_typeof(role)::text AS type FROM "user" ORDER BY id
    `.execute(db)
    expect(rows).toEqual([{ role: 'STUDENT', type: 'userrole' }, { role: 'FACULTY', type: 'userrole' }])
  })
})
