import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { freshStateDb } from '../../test/state-db'
import { createDb } from '../db/connect'
import { enumChecks } from './enum-checks'
import { countOrphans, orphanCondition } from './orphans'
import { relationsToCheck } from './relations'
import { planChecks, runChecks } from './run-checks'
import { schemaChecks } from './schema-checks'

// Catalog corners found by trying the checks on databases unlike DoR-Dash: partitions, domains,
// composite types, inheritance statistics, cycling sequences.
let target: FreshDatabase
let state: FreshDatabase

beforeAll(async () => {
  ;[target, state] = await Promise.all([freshDatabase('edges'), freshStateDb()])
})
afterAll(async () => {
  await target?.drop()
  await state?.drop()
})

describe('partitions', () => {
  beforeAll(async () => {
    await sql`create table customers (id int primary key)`.execute(target.db)
    await sql`insert into customers values (1)`.execute(target.db)
    await sql`create table orders (id int, customers_id int references customers, created date, primary key (id, created)) partition by range (created)`.execute(target.db)
    await sql`create table orders_2023 partition of orders for values from ('2023-01-01') to ('2024-01-01')`.execute(target.db)
    await sql`create table orders_2024 partition of orders for values from ('2024-01-01') to ('2025-01-01')`.execute(target.db)
    await sql`insert into orders values (1, 1, '2023-05-01'), (2, 1, '2023-06-01'), (3, null, '2024-02-01')`.execute(target.db)
    await sql`create table payments (id int, region text, cust int, primary key (id, region)) partition by list (region)`.execute(target.db)
    await sql`create table payments_eu partition of payments for values in ('eu')`.execute(target.db)
    await sql`create index on payments_eu (cust)`.execute(target.db)
    await sql`insert into payments values (1, 'eu', 1), (2, 'eu', 42), (3, 'eu', 43)`.execute(target.db)
    await sql`alter table payments_eu add constraint payments_eu_cust_fk foreign key (cust) references customers not valid`.execute(target.db)
  })

  it('checks the parent’s key once, not again as suggestions on each partition, and a key defined on a partition', async () => {
    const rels = (await relationsToCheck(target.db, state.db)).map((r) => `${r.table}(${r.columns}) ${r.source}`)
    expect(rels.sort()).toEqual(['orders(customers_id) foreign_key', 'payments_eu(cust) foreign_key'])
    const { findings } = await runChecks(await planChecks(target.db, state.db))
    const orphans = findings.filter((f) => f.check === 'orphans').map((f) => [f.table, f.count])
    expect(orphans.sort()).toEqual([
      ['orders', 0],
      ['payments_eu', 2],
    ])
    expect(findings.filter((f) => f.check === 'not_valid_foreign_key').map((f) => f.table)).toEqual(['payments_eu'])
  })

  it('reports an unindexed foreign key once, not once per partition copy', async () => {
    const unindexed = (await schemaChecks(target.db)).filter((f) => f.check === 'unindexed_foreign_key').map((f) => f.table)
    expect(unindexed).toEqual(['orders'])
  })
})

describe('enums and sequences', () => {
  it('counts an enum used through a domain or a composite type as used', async () => {
    await sql`create type color as enum ('red', 'green')`.execute(target.db)
    await sql`create domain color_d as color`.execute(target.db)
    await sql`create table paint (id int primary key, c color_d)`.execute(target.db)
    await sql`create type size as enum ('s', 'm')`.execute(target.db)
    await sql`create type shirt as (sz size)`.execute(target.db)
    await sql`create table wardrobe (id int primary key, s shirt)`.execute(target.db)
    await sql`create type lonely as enum ('x')`.execute(target.db)
    const unused = (await enumChecks(target.db)).find((f) => f.check === 'unused_enum')
    expect(unused?.values).toEqual(['public.lonely'])
  })

  it('reports a text column used as an enum once, even on an inheritance parent', async () => {
    await sql`create type st as enum ('open', 'closed')`.execute(target.db)
    await sql`create table ticket (id int primary key, status text)`.execute(target.db)
    await sql`create table bug () inherits (ticket)`.execute(target.db)
    await sql`insert into ticket select g, case when g % 50 = 0 then 'Open' else 'open' end from generate_series(1, 500) g`.execute(target.db)
    await sql`insert into bug select g, 'closed' from generate_series(501, 600) g`.execute(target.db)
    await sql`analyze ticket`.execute(target.db)
    await sql`analyze bug`.execute(target.db)
    const values = (await enumChecks(target.db)).filter((f) => f.check === 'enum_values' && f.table === 'ticket')
    expect(values).toHaveLength(1)
  })

  it('does not warn about a CYCLE sequence near its end, which wraps around', async () => {
    await sql`create sequence s_cycle as smallint maxvalue 100 cycle`.execute(target.db)
    await sql`select setval('s_cycle', 99)`.execute(target.db)
    await sql`create sequence s_near as smallint maxvalue 100`.execute(target.db)
    await sql`select setval('s_near', 99)`.execute(target.db)
    const near = (await schemaChecks(target.db)).find((f) => f.check === 'sequence_near_limit')
    expect(near?.values).toEqual(['public.s_near'])
  })
})

describe('row-level security', () => {
  it('fails a count a policy would filter, instead of taking hidden parents for missing ones', async () => {
    const role = `rls_owner_${Date.now().toString(36)}`
    await sql`create role ${sql.id(role)} login password 'rls-pw-1'`.execute(target.db)
    await sql`create table author (id int primary key, tenant text)`.execute(target.db)
    await sql`insert into author select g, case when g <= 5 then 't1' else 't2' end from generate_series(1, 10) g`.execute(target.db)
    await sql`create table book (id int primary key, author_id int references author)`.execute(target.db)
    await sql`insert into book select g, g % 10 + 1 from generate_series(1, 100) g`.execute(target.db)
    await sql`alter table author enable row level security`.execute(target.db)
    await sql`alter table author force row level security`.execute(target.db)
    await sql`create policy only_t1 on author using (tenant = 't1')`.execute(target.db)
    await sql`alter table author owner to ${sql.id(role)}`.execute(target.db)
    await sql`alter table book owner to ${sql.id(role)}`.execute(target.db)
    const url = new URL(target.url)
    url.username = role
    url.password = 'rls-pw-1'
    const rel = { schema: 'public', table: 'book', columns: ['author_id'], refSchema: 'public', refTable: 'author', refColumns: ['id'] }
    const filtered = createDb(url.toString(), { max: 1 })
    const strict = createDb(url.toString(), { max: 1, rowSecurityOff: true })
    try {
      // What the policy makes a plain session see: half the authors missing, 50 false orphans.
      expect(await countOrphans(filtered, rel)).toBe(50)
      await expect(countOrphans(strict, rel)).rejects.toThrow('query would be affected by row-level security policy for table "author"')
    } finally {
      await filtered.destroy()
      await strict.destroy()
      await sql`drop table book, author`.execute(target.db)
      await sql`drop role ${sql.id(role)}`.execute(target.db)
    }
  })
})

describe('MATCH FULL', () => {
  it('counts a reference with some columns NULL as an orphan, as VALIDATE would reject it', async () => {
    await sql`create table course (id int primary key, a int, b int, unique (a, b))`.execute(target.db)
    await sql`insert into course values (1, 1, 1)`.execute(target.db)
    await sql`create table seat (id int primary key, a int, b int)`.execute(target.db)
    await sql`insert into seat values (1, 1, 1), (2, 1, null), (3, null, 5), (4, null, null), (5, 2, 2)`.execute(target.db)
    await sql`alter table seat add constraint seat_full foreign key (a, b) references course (a, b) match full not valid`.execute(target.db)
    const fk = (await relationsToCheck(target.db, state.db)).find((r) => r.table === 'seat')!
    expect(fk).toMatchObject({ matchFull: true, validated: false })
    expect(await countOrphans(target.db, fk)).toBe(3)
    expect(await countOrphans(target.db, { ...fk, matchFull: false })).toBe(1)
  })
})

describe('a database whose tables only share names with DoR-Dash', () => {
  it('runs the role checks and DoR rules that fit and quietly skips those that do not', async () => {
    await sql`create table users (id uuid primary key default gen_random_uuid(), role varchar, email varchar unique)`.execute(target.db)
    await sql`insert into users (role, email) values ('x', 'A@x.io'), ('x', 'a@x.io')`.execute(target.db)
    await sql`create table registration_request (id int primary key, status int, processed_by int, username text)`.execute(target.db)
    await sql`create table meeting (id int primary key, start_time text, end_time timestamptz, created_by int)`.execute(target.db)
    await sql`create table fileupload (id int primary key, filepath text, file_size text)`.execute(target.db)
    const { findings } = await runChecks(await planChecks(target.db, state.db))
    expect(findings.filter((f) => f.error).map((f) => `${f.key}: ${f.error}`)).toEqual([])
    expect(findings.find((f) => f.check === 'duplicate_identity' && f.columns[0] === 'email')).toMatchObject({ count: 2, values: ['a@x.io'] })
    expect(findings.filter((f) => f.check === 'role_not_allowed')).toEqual([])
    expect(findings.filter((f) => f.check === 'rule').map((f) => f.key)).toEqual(['rule:processed_request_without_processor'])
  })
})

describe('collations', () => {
  it('compares under the key’s collation, as the foreign key does', async () => {
    await sql`create table kc (k text collate "C" primary key)`.execute(target.db)
    await sql`insert into kc values ('x')`.execute(target.db)
    await sql`create table uses_kc (id int primary key, k text collate "POSIX" references kc)`.execute(target.db)
    await sql`insert into uses_kc values (1, 'x')`.execute(target.db)
    await sql`create collation ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false)`.execute(target.db)
    await sql`create table kd (k text primary key)`.execute(target.db)
    await sql`insert into kd values ('Hello')`.execute(target.db)
    await sql`create table uses_kd (id int primary key, k text collate ci)`.execute(target.db)
    await sql`insert into uses_kd values (1, 'hello')`.execute(target.db)
    await sql`alter table uses_kd add constraint ukd foreign key (k) references kd not valid`.execute(target.db)
    const rels = await relationsToCheck(target.db, state.db)
    const kc = rels.find((r) => r.table === 'uses_kc')!
    const kd = rels.find((r) => r.table === 'uses_kd')!
    expect(kd.collations).toEqual([['pg_catalog', 'default']])
    expect(await countOrphans(target.db, kc)).toBe(0)
    expect(await countOrphans(target.db, kd)).toBe(1)
    await expect(sql`alter table uses_kd validate constraint ukd`.execute(target.db)).rejects.toThrow('violates foreign key constraint')
  })
})

describe('inheritance', () => {
  it('checks a foreign key on the tables themselves, not their children, as PostgreSQL does', async () => {
    await sql`create table city (id int primary key)`.execute(target.db)
    await sql`create table capital () inherits (city)`.execute(target.db)
    await sql`insert into city values (1)`.execute(target.db)
    await sql`insert into capital values (10)`.execute(target.db)
    await sql`create table person (id int primary key, city_ref int)`.execute(target.db)
    await sql`create table vip () inherits (person)`.execute(target.db)
    await sql`insert into person values (1, 10)`.execute(target.db)
    await sql`insert into vip values (2, 99)`.execute(target.db)
    await sql`alter table person add constraint person_city_fk foreign key (city_ref) references city (id) not valid`.execute(target.db)
    const fk = (await relationsToCheck(target.db, state.db)).find((r) => r.table === 'person')!
    expect(fk).toMatchObject({ childOnly: true, parentOnly: true })
    expect(await countOrphans(target.db, fk)).toBe(1)
    const { rows } = await sql<{ city_ref: number }>`select city_ref from only person c where ${orphanCondition(fk)}`.execute(target.db)
    expect(rows).toEqual([{ city_ref: 10 }])
  })
})

describe('a role that may not read everything', () => {
  it('says which sequences it could not check instead of a silent ok', async () => {
    const role = `mon_${Date.now().toString(36)}`
    await sql`create role ${sql.id(role)} login password 'mon-pw-1' in role pg_monitor`.execute(target.db)
    const url = new URL(target.url)
    url.username = role
    url.password = 'mon-pw-1'
    const mon = createDb(url.toString(), { max: 1 })
    try {
      const seq = (await schemaChecks(mon)).find((f) => f.check === 'sequence_near_limit')!
      expect(seq.count).toBe(0)
      expect(seq.note).toMatch(/^\d+ sequences not checked: this role may not read them \(needs USAGE or SELECT\): .*public\.s_near/)
      expect((await schemaChecks(target.db)).find((f) => f.check === 'sequence_near_limit')?.note).toBeUndefined()
    } finally {
      await mon.destroy()
      await sql`drop role ${sql.id(role)}`.execute(target.db)
    }
  })
})

describe('types', () => {
  it('compares a text reference to a char(n) key as char(n), ignoring trailing blanks as the foreign key does', async () => {
    await sql`create table code (c char(5) primary key)`.execute(target.db)
    await sql`insert into code values ('ab')`.execute(target.db)
    await sql`create table uses_code (id int primary key, c text references code)`.execute(target.db)
    await sql`insert into uses_code values (1, 'ab'), (2, 'ab   ')`.execute(target.db)
    const fk = (await relationsToCheck(target.db, state.db)).find((r) => r.table === 'uses_code')!
    expect(fk.casts).toEqual([['pg_catalog', 'bpchar']])
    expect(await countOrphans(target.db, fk)).toBe(0)
    await sql`alter table uses_code drop constraint uses_code_c_fkey`.execute(target.db)
    await sql`insert into uses_code values (3, 'zz')`.execute(target.db)
    await sql`alter table uses_code add constraint uses_code_c_fkey foreign key (c) references code not valid`.execute(target.db)
    expect(await countOrphans(target.db, (await relationsToCheck(target.db, state.db)).find((r) => r.table === 'uses_code')!)).toBe(1)
  })
})
