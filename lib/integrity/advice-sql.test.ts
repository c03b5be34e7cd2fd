import { CompiledQuery, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { addForeignKeySql, defaultIndexName } from './advice-sql'
import { notValidCheckFindings } from './check-constraints'
import { enumChecks } from './enum-checks'
import type { Finding } from './findings'
import { schemaChecks } from './schema-checks'

// Names that break string-built SQL: the statements shown must still run as written.
const S = 'ünïcode schema'
const PARENT = 'Order; DROP TABLE x;--'
const CHILD = 'Línea "de" pedido'

let t: FreshDatabase

/** Runs shown SQL as a user pasting it into psql would: one statement at a time (CONCURRENTLY needs that). */
async function runAsShown(text: string) {
  for (const line of text.split('\n').filter((l) => l.trim() && !l.startsWith('--'))) {
    await t.db.executeQuery(CompiledQuery.raw(line))
  }
}

const problems = (findings: Finding[], check: Finding['check']) => findings.filter((f) => f.check === check && (f.count ?? 0) > 0)

beforeAll(async () => {
  t = await freshDatabase('advice')
  await sql`create table "user" (id int primary key, email text)`.execute(t.db)
  await sql`create table meeting (id int primary key, created_by int references "user" (id))`.execute(t.db)
  await sql`create schema ${sql.id(S)}`.execute(t.db)
  await sql`create table ${sql.id(S, PARENT)} (${sql.id('Order "No"')} int primary key)`.execute(t.db)
  await sql`create table ${sql.id(S, CHILD)} (id int primary key, ${sql.id('Order Ref')} int references ${sql.id(S, PARENT)}, n smallserial)`.execute(t.db)
  await sql`alter table ${sql.id(S, CHILD)} add constraint ${sql.id('positive; --')} check (id > 0) not valid`.execute(t.db)
  await sql`create type ${sql.id(S, 'Mood; x')} as enum ('a')`.execute(t.db)
  await sql`select setval(pg_get_serial_sequence(${`"${S}"."${CHILD.replaceAll('"', '""')}"`}, 'n'), 32000)`.execute(t.db)
  // A failed CREATE UNIQUE INDEX CONCURRENTLY leaves an invalid index behind.
  await sql`create table dup (x int)`.execute(t.db)
  await sql`insert into dup values (1), (1)`.execute(t.db)
  await t.db.executeQuery(CompiledQuery.raw('create unique index concurrently "Dup X" on dup (x)')).catch(() => null)
  await sql`delete from dup where ctid = (select max(ctid) from dup)`.execute(t.db)
})
afterAll(() => t?.drop())

describe('the SQL integrity advice shows', () => {
  it('names the index as PostgreSQL would, for the issue’s example exactly', async () => {
    const findings = await schemaChecks(t.db)
    const fks = problems(findings, 'unindexed_foreign_key')
    expect(fks.find((f) => f.table === 'meeting')?.sql).toBe('CREATE INDEX CONCURRENTLY meeting_created_by_idx ON public.meeting (created_by);')
    expect(fks.find((f) => f.table === CHILD)?.sql).toBe(
      'CREATE INDEX CONCURRENTLY "Línea ""de"" pedido_Order Ref_idx" ON "ünïcode schema"."Línea ""de"" pedido" ("Order Ref");',
    )
    expect(defaultIndexName('t'.repeat(80), ['c'.repeat(10)])).toBe(`${'t'.repeat(48)}_${'c'.repeat(10)}_idx`)
    expect(Buffer.byteLength(defaultIndexName('ü'.repeat(60), ['ö'.repeat(60)]))).toBeLessThanOrEqual(63)
  })

  it('runs as written and clears each finding, odd names included', async () => {
    const before = [...(await schemaChecks(t.db)), ...(await notValidCheckFindings(t.db)), ...(await enumChecks(t.db))]
    const checks = ['unindexed_foreign_key', 'invalid_index', 'sequence_near_limit', 'not_valid_check', 'unused_enum'] as const
    for (const check of checks) {
      const found = check === 'not_valid_check' ? before.filter((f) => f.check === check) : problems(before, check)
      expect(found.length, check).toBeGreaterThan(0)
      for (const f of found) {
        expect(f.sql, check).toBeTruthy()
        await runAsShown(f.sql!)
      }
    }
    const after = [...(await schemaChecks(t.db)), ...(await notValidCheckFindings(t.db)), ...(await enumChecks(t.db))]
    for (const check of checks) expect(after.filter((f) => f.check === check && (f.count ?? 0) > 0), check).toEqual([])
    expect(after.filter((f) => f.check === 'not_valid_check')).toEqual([])
  })

  it('turns a soft relation into a foreign key that is added NOT VALID, then validated', async () => {
    await sql`create table ${sql.id(S, 'Zeile')} (${sql.id('Order Ref')} int)`.execute(t.db)
    const text = addForeignKeySql({ schema: S, table: 'Zeile', columns: ['Order Ref'], refSchema: S, refTable: PARENT, refColumns: ['Order "No"'] })
    expect(text.split('\n')[0]).toBe(
      'ALTER TABLE "ünïcode schema"."Zeile" ADD CONSTRAINT "Zeile_Order Ref_fkey" FOREIGN KEY ("Order Ref") REFERENCES "ünïcode schema"."Order; DROP TABLE x;--" ("Order ""No""") NOT VALID;',
    )
    await runAsShown(text)
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_constraint where conname = ${'Zeile_Order Ref_fkey'} and convalidated`.execute(t.db)
    expect(rows[0].n).toBe(1)
  })
})
