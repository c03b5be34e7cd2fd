import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { readForeignHistories } from './foreign-history'

let db: FreshDatabase

beforeAll(async () => {
  db = await freshDatabase('foreign')
  await sql`create table alembic_version (version_num varchar(32) primary key)`.execute(db.db)
  await sql`insert into alembic_version values ('c3'), ('d4')`.execute(db.db)
  await sql`create schema "Other App"`.execute(db.db)
  await sql`create table "Other App".flyway_schema_history (
    installed_rank int primary key, version varchar(50), description varchar(200), type varchar(20), script varchar(1000),
    checksum int, installed_by varchar(100), installed_on timestamp default now(), execution_time int, success boolean)`.execute(db.db)
  await sql`insert into "Other App".flyway_schema_history (installed_rank, version, description, type, script, success)
    values (1, '1', 'init', 'SQL', 'V1__init.sql', true), (2, '2', 'broken', 'SQL', 'V2__broken.sql', false)`.execute(db.db)
  await sql`create table knex_migrations (id serial primary key, name varchar(255), batch int, migration_time timestamptz default now())`.execute(db.db)
  await sql`insert into knex_migrations (name, batch) values ('001_init.js', 1), ('002_more.js', 2)`.execute(db.db)
  await sql`create table kysely_migration (name varchar(255) primary key, timestamp varchar(255))`.execute(db.db)
  await sql`create table app_kysely_migration (name varchar(255) primary key, timestamp varchar(255))`.execute(db.db)
  await sql`insert into app_kysely_migration values ('2024_01_a', '2024-01-01T00:00:00.000Z')`.execute(db.db)
  await sql`create schema sqitch`.execute(db.db)
  await sql`create table sqitch.changes (change_id text primary key, script_hash text, change text not null, project text not null,
    note text not null default '', committed_at timestamptz not null default clock_timestamp())`.execute(db.db)
  await sql`insert into sqitch.changes (change_id, change, project) values ('c1', 'users', 'dor')`.execute(db.db)
  await sql`insert into sqitch.changes (change_id, change, project, note) values ('c2', 'meetings', 'dor', 'Adds meetings')`.execute(db.db)
  await sql`create schema rails`.execute(db.db)
  await sql`create table rails.schema_migrations (version varchar primary key)`.execute(db.db)
  await sql`insert into rails.schema_migrations values ('20240101000000')`.execute(db.db)
  await sql`create schema go`.execute(db.db)
  await sql`create table go.schema_migrations (version bigint primary key, dirty boolean not null)`.execute(db.db)
  await sql`insert into go.schema_migrations values (3, false)`.execute(db.db)
  // A table of the application called "changes" is not Sqitch's.
  await sql`create table public.changes (id int, change text)`.execute(db.db)
})
afterAll(() => db?.drop())

describe('other tools migration tables', () => {
  it('finds and reads them read-only, leaving our own table out', async () => {
    const found = await readForeignHistories(db.db, 'kysely_migration')
    expect(found.map((f) => [f.tool, f.schema, f.table, f.current, f.total])).toEqual([
      ['flyway', 'Other App', 'flyway_schema_history', ['1'], 2],
      ['golang-migrate', 'go', 'schema_migrations', ['3'], 1],
      ['alembic', 'public', 'alembic_version', ['c3', 'd4'], 2],
      ['kysely', 'public', 'app_kysely_migration', ['2024_01_a'], 1],
      ['knex', 'public', 'knex_migrations', ['002_more.js'], 2],
      ['rails', 'rails', 'schema_migrations', ['20240101000000'], 1],
      ['sqitch', 'sqitch', 'changes', ['meetings'], 2],
    ])
    expect(found[0].entries.map((e) => [e.id, e.success])).toEqual([
      ['2', false],
      ['1', true],
    ])
  })
})
