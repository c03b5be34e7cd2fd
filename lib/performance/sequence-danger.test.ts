import { CompiledQuery, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ODD_SCHEMA as SCHEMA, ODD_TABLE as ODD, type OddNamesDatabase, oddNamesDatabase } from '../../test/odd-names-db'
import { readSequenceDanger } from './sequence-danger'

const MONITOR = 'seq_danger_monitor'

let fresh: OddNamesDatabase

beforeAll(async () => {
  fresh = await oddNamesDatabase('seq_danger', sql`id serial primary key, note text`)
  const q = fresh.run
  await q(sql`select setval(pg_get_serial_sequence(${`${'"'}${SCHEMA}${'"'}.${'"'}${ODD.replaceAll('"', '""')}${'"'}`}, 'id'), 2000000000)`)
  await q(sql`create table public.roomy (id serial primary key)`)
  await q(sql`select setval('public.roomy_id_seq', 10)`)
  await q(sql`create sequence public.big_one as bigint`)
  await q(sql`select setval('public.big_one', 9000000000000000000)`)
  await q(sql`create sequence public.never_used as int`)
  await q(sql`do $$ begin if not exists (select from pg_roles where rolname = ${sql.lit(MONITOR)}) then create role ${sql.id(MONITOR)}; end if; end $$`)
  await q(sql`grant pg_monitor to ${sql.id(MONITOR)}`)
  await q(sql`grant usage on schema ${sql.id(SCHEMA)} to ${sql.id(MONITOR)}`)
  await q(sql`grant select on public.roomy_id_seq to ${sql.id(MONITOR)}`)
})

afterAll(async () => {
  await fresh?.drop()
})

describe('readSequenceDanger', () => {
  it('reports sequences past 90 % with % used, type max and the ALTER to widen them', async () => {
    const r = await readSequenceDanger(fresh.db)
    expect(r.hidden).toEqual([])
    expect(r.checked).toBe(3) // never_used has no value yet
    expect(r.danger.map((d) => d.name)).toEqual(['big_one', `${ODD}_id_seq`])
    const odd = r.danger.find((d) => d.name === `${ODD}_id_seq`)!
    expect(odd.dataType).toBe('integer')
    expect(odd.maxValue).toBe(2147483647)
    expect(odd.usedShare).toBeCloseTo(2000000000 / 2147483646, 5)
    expect(odd.sql).toBe(
      `ALTER TABLE "${SCHEMA}"."Order; DROP TABLE x;--" ALTER COLUMN id TYPE bigint;\nALTER SEQUENCE "${SCHEMA}"."Order; DROP TABLE x;--_id_seq" AS bigint MAXVALUE 9223372036854775807;`,
    )
    expect(odd.advice).toContain('147483647 values are left')
    // The statement it prints is the one that fixes it.
    for (const statement of odd.sql!.split('\n')) await fresh.db.executeQuery(CompiledQuery.raw(statement))
    const after = await readSequenceDanger(fresh.db)
    expect(after.danger.map((d) => d.name)).toEqual(['big_one'])
    const big = after.danger[0]
    expect(big.sql).toBeNull()
    expect(big.advice).toContain('bigint already')
    expect(r.fullest?.qualifiedName).toBe('public.big_one')
  })

  it('says which sequences a pg_monitor login cannot read instead of calling them safe', async () => {
    const r = await fresh.db.transaction().execute(async (trx) => {
      await sql`set local role ${sql.id(MONITOR)}`.execute(trx)
      return readSequenceDanger(trx)
    })
    expect(r.checked).toBe(1)
    expect(r.danger).toEqual([])
    expect(r.hidden).toContain('public.big_one')
    expect(r.hidden).toContain(`"${SCHEMA}"."${ODD}_id_seq"`)
    expect(r.hidden).not.toContain('public.roomy_id_seq')
  })
})
