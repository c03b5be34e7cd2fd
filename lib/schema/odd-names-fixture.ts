import { type Kysely, sql } from 'kysely'

/** Names that break string-built SQL. Every schema query and page must treat them as plain data. */
export const ODD = {
  schema: 'ünïcode schema',
  table: 'Order; DROP TABLE x;--',
  quoted: 'say "hi"',
  emoji: 'émoji 🙂 table',
  column: 'Total €',
  enum: 'Mood "type"',
  constraint: 'check; it',
}

/** Builds the odd-named objects in an empty database (DDL through sql.id only). */
export async function createOddNames(db: Kysely<any>): Promise<void> {
  const s = ODD.schema
  await sql`create schema ${sql.id(s)}`.execute(db)
  await sql`create type ${sql.id(s, ODD.enum)} as enum ('happy', 'sad', 'it''s; complicated')`.execute(db)
  await sql`create table ${sql.id(s, ODD.table)} (
    id bigint generated always as identity primary key,
    ${sql.id(ODD.column)} numeric(10,2) not null default 0,
    mood ${sql.id(s, ODD.enum)},
    moods ${sql.id(s, ODD.enum)}[],
    doubled numeric generated always as (${sql.id(ODD.column)} * 2) stored,
    constraint ${sql.id(ODD.constraint)} check (${sql.id(ODD.column)} >= 0)
  )`.execute(db)
  await sql`create table ${sql.id(s, ODD.quoted)} (
    id serial primary key,
    order_id bigint references ${sql.id(s, ODD.table)} (id) on delete cascade
  )`.execute(db)
  await sql`create table public.${sql.id(ODD.emoji)} (
    ref integer,
    note text
  )`.execute(db)
  await sql`alter table public.${sql.id(ODD.emoji)} add constraint ${sql.id('fk ' + ODD.emoji)}
    foreign key (ref) references ${sql.id(s, ODD.quoted)} (id) on delete set null not valid`.execute(db)
  await sql`create index ${sql.id('idx ' + ODD.column)} on ${sql.id(s, ODD.table)} (${sql.id(ODD.column)}) where mood is not null`.execute(db)
  await sql`create view ${sql.id(s, 'happy orders')} as select * from ${sql.id(s, ODD.table)} where mood = 'happy'`.execute(db)
}
