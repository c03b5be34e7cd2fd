import { randomBytes } from 'node:crypto'
import { type Kysely, sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { createDb, createPool } from '../db/connect'
import { type ExplainSession, explainInSession, explainStatement } from './explain'
import type { PlanNode } from './plan-tree'

/**
 * EXPLAIN on a reader like the restricted connection of custom integrity rules: a non-superuser
 * with pg_read_all_data and nothing else.
 */
const READER = `reader_${randomBytes(4).toString('hex')}`
const PASSWORD = randomBytes(12).toString('hex')
const ODD_TABLE = 'Order; DROP TABLE x;--'
const ODD_COLUMN = 'Ünïcode "col"'

let fresh: FreshDatabase
let admin: Kysely<any>
let reader: pg.Pool
let superPool: pg.Pool

const find = (n: PlanNode, test: (x: PlanNode) => boolean): PlanNode | undefined =>
  test(n) ? n : n.children.map((c) => find(c, test)).find(Boolean)
const count = async () => (await sql<{ n: number }>`select count(*)::int as n from public.orders`.execute(fresh.db)).rows[0].n

beforeAll(async () => {
  fresh = await freshDatabase('explain')
  admin = createDb(inject('pgAdminUrl'), { max: 1 })
  await sql`create table public.orders (id int primary key, customer_id int not null, total numeric)`.execute(fresh.db)
  await sql`insert into public.orders select g, g % 500, g * 1.5 from generate_series(1, 20000) g`.execute(fresh.db)
  await sql`create index orders_customer on public.orders (customer_id)`.execute(fresh.db)
  // a = b on every row: the planner multiplies their selectivities and misses by 100×.
  await sql`create table public.pairs (a int, b int)`.execute(fresh.db)
  await sql`insert into public.pairs select g % 100, g % 100 from generate_series(1, 10000) g`.execute(fresh.db)
  await sql`create table ${sql.id('public', ODD_TABLE)} (id int primary key, ${sql.id(ODD_COLUMN)} text)`.execute(fresh.db)
  await sql`insert into ${sql.id('public', ODD_TABLE)} values (1, 'ä')`.execute(fresh.db)
  await sql`create function public.sneaky() returns int language sql as 'insert into public.orders values (-1, -1, 0) returning 1'`.execute(fresh.db)
  await sql`analyze`.execute(fresh.db)

  await sql`create role ${sql.id(READER)} login password ${sql.lit(PASSWORD)} in role pg_read_all_data`.execute(admin)
  const u = new URL(fresh.url)
  u.username = READER
  u.password = PASSWORD
  reader = createPool(u.toString(), { max: 2, applicationName: 'dbadmin explain' })
  superPool = createPool(fresh.url, { max: 1 })
})

afterAll(async () => {
  await reader?.end()
  await superPool?.end()
  await fresh?.drop()
  if (admin) {
    await sql`drop role if exists ${sql.id(READER)}`.execute(admin)
    await admin.destroy()
  }
})

describe('explainStatement', () => {
  it('is given a reader that is what the test says it is', async () => {
    const { rows } = await reader.query('select rolsuper, pg_has_role($1, \'pg_read_all_data\', \'USAGE\') as reads from pg_roles where rolname = current_user', [READER])
    expect(rows).toEqual([{ rolsuper: false, reads: true }])
  })

  it('shows the generic plan of a statement with parameters and none given', async () => {
    const r = await explainStatement(reader, { statement: 'select * from public.orders where customer_id = $1;' })
    expect(r.mode).toBe('generic')
    expect(r.parameterTypes).toEqual(['integer'])
    expect(r.statement).toBe('select * from public.orders where customer_id = $1')
    const scan = find(r.plan.root, (n) => n.relation === 'orders')!
    expect(scan.schema).toBe('public')
    expect(JSON.stringify(scan.details)).toContain('$1')
    expect(r.plan.analyzed).toBe(false)
    expect(r.plan.costliest).not.toBeNull()
    expect(r.plan.executionMs).toBeNull()
  })

  it('shows the plan for the values given, typed by the server', async () => {
    const r = await explainStatement(reader, { statement: 'select * from public.orders where customer_id = $1 and total > $2', params: ['7', '10.5'] })
    expect(r.mode).toBe('custom')
    expect(r.parameterTypes).toEqual(['integer', 'numeric'])
    const text = JSON.stringify(r.plan.root)
    expect(text).toContain('customer_id = 7')
    expect(text).toContain('10.5')
  })

  it('analyses a single SELECT: actual rows, time and buffers per node, the costliest node and estimate misses', async () => {
    const r = await explainStatement(reader, { statement: 'select count(*) from public.pairs where a = $1 and b = $1', params: ['3'], analyze: true })
    expect(r.mode).toBe('analyze')
    expect(r.plan.analyzed).toBe(true)
    expect(r.plan.executionMs).toBeGreaterThan(0)
    expect(r.plan.planningMs).toBeGreaterThan(0)
    const scan = find(r.plan.root, (n) => n.relation === 'pairs')!
    expect(scan.actual).toMatchObject({ rows: 100, loops: 1 })
    expect(scan.planRows).toBeLessThan(10)
    expect(scan.misestimate).toMatchObject({ direction: 'under' })
    expect(scan.misestimate!.factor).toBeGreaterThanOrEqual(10)
    expect(r.plan.misses).toContainEqual(expect.objectContaining({ relation: 'pairs', actualRows: 100, direction: 'under' }))
    expect(scan.buffers!.sharedHit + scan.buffers!.sharedRead).toBeGreaterThan(0)
    expect(scan.exclusiveMs).toBeGreaterThanOrEqual(0)
    // The scan does the work; the aggregate above it only counts.
    expect(r.plan.costliest).toMatchObject({ nodeType: 'Seq Scan', relation: 'pairs' })
    expect(scan.costliest).toBe(true)
    expect(r.plan.root.costliest).toBe(false)
    expect(r.plan.root.inclusiveMs).toBeGreaterThanOrEqual(scan.inclusiveMs!)
  })

  it('works with odd table and column names', async () => {
    const statement = `select * from public."Order; DROP TABLE x;--" where "Ünïcode ""col""" = $1`
    const r = await explainStatement(reader, { statement, params: ['ä'], analyze: true })
    expect(find(r.plan.root, (n) => n.relation === ODD_TABLE)?.actual?.rows).toBe(1)
    const plain = await explainStatement(superPool, { statement })
    expect(plain.parameterTypes).toEqual(['text'])
  })

  it('takes a single client as well as a pool, and leaves it clean', async () => {
    const client = await reader.connect()
    try {
      await explainStatement(client, { statement: 'select 1' })
      const { rows } = await client.query('select count(*)::int as n from pg_prepared_statements')
      expect(rows).toEqual([{ n: 0 }])
      expect((await client.query('show transaction_read_only')).rows).toEqual([{ transaction_read_only: 'off' }])
    } finally {
      client.release()
    }
  })
})

describe('EXPLAIN ANALYZE of anything but a single SELECT is refused', () => {
  const refused = (statement: string, params?: string[]) => explainStatement(reader, { statement, params, analyze: true })
  // A role that could write, so that the plan check is what stops it.
  const refusedToWriter = (statement: string, params?: string[]) => explainStatement(superPool, { statement, params, analyze: true })

  it('refuses writes before they run, saying why', async () => {
    await expect(refused(`insert into public.orders values (-1, -1, 0)`)).rejects.toMatchObject({
      code: 'refused',
      message: 'EXPLAIN ANALYZE runs the statement, so only a single SELECT is analysed; this is an INSERT. Use EXPLAIN without ANALYZE to see its plan.',
    })
    await expect(refused(`/* a comment first */ delete from public.orders`)).rejects.toMatchObject({ code: 'refused', message: expect.stringContaining('this is a DELETE') })
    const cte = `with d as (delete from public.orders where id < $1 returning *) select count(*) from d`
    await expect(refusedToWriter(cte, ['100'])).rejects.toMatchObject({
      code: 'refused',
      message:
        'EXPLAIN ANALYZE runs the statement, and its plan writes (Delete on orders): only a single SELECT without data-modifying WITH or FOR UPDATE is analysed. Use EXPLAIN without ANALYZE to see its plan.',
    })
    // The reader is stopped earlier still: it may not even plan a DELETE.
    await expect(refused(cte, ['100'])).rejects.toMatchObject({ code: 'not_permitted' })
    await expect(refusedToWriter(`with x as (select 1) update public.orders set total = 0`)).rejects.toMatchObject({
      code: 'refused',
      message: expect.stringContaining('(Update on orders)'),
    })
    await expect(refusedToWriter(`select * from public.orders where id = 1 for update`)).rejects.toMatchObject({
      code: 'refused',
      message: expect.stringContaining('(row locks (FOR UPDATE/SHARE))'),
    })
    await expect(refused(`select * into public.copied from public.orders`)).rejects.toMatchObject({
      code: 'refused',
      message: expect.stringContaining('SELECT … INTO creates a table'),
    })
    await expect(refused(`select 1; delete from public.orders`)).rejects.toMatchObject({ code: 'refused', message: 'Only one statement can be analysed at a time.' })
    expect(await count()).toBe(20000)
    expect((await sql`select to_regclass('public.copied') as t`.execute(fresh.db)).rows).toEqual([{ t: null }])
  })

  it('refuses to run a statement that reads a system catalog PUBLIC may not read, or calls a function that runs a query of its own', async () => {
    // pg_read_all_data skips pg_authid's ACL: run, the statement could time (or fail on) the superuser's password hash.
    const leak = "select pg_sleep(case when rolpassword like 'SCRAM%' then 0.01 else 0 end) from pg_authid where rolsuper"
    await expect(refused(leak)).rejects.toMatchObject({
      code: 'refused',
      message: expect.stringMatching(/^The query reads pg_catalog\.pg_authid, which PUBLIC may not read: EXPLAIN ANALYZE runs statements that read table data only/),
    })
    await expect(refused('select cast(passwd as int) from pg_shadow')).rejects.toMatchObject({ code: 'refused', message: expect.stringContaining('pg_catalog.pg_authid') })
    await expect(refused("select length(query_to_xml('select rolpassword from pg_authid', true, false, '')::text)")).rejects.toMatchObject({
      code: 'refused',
      message: expect.stringContaining('The query calls query_to_xml'),
    })
    // Its plan is still shown: EXPLAIN alone does not run it.
    expect((await explainStatement(reader, { statement: leak })).mode).toBe('custom')
  })

  it('stops a write hidden in a function: the transaction is read only', async () => {
    await expect(refused('select public.sneaky()')).rejects.toMatchObject({
      code: 'refused',
      message: expect.stringContaining('tried to write in a read-only transaction'),
    })
    expect(await count()).toBe(20000)
  })

  it('does not let a second statement through, with or without ANALYZE, even past the word check', async () => {
    // The word check is not asked here (no ANALYZE): the extended protocol refuses on its own.
    await expect(explainStatement(superPool, { statement: 'select 1; drop table public.orders' })).rejects.toMatchObject({
      code: 'refused',
      message: 'Only one statement can be explained at a time.',
    })
    expect(await count()).toBe(20000)
  })

  it('shows the plan of a write without running it, to a role allowed to write', async () => {
    const r = await explainStatement(superPool, { statement: 'delete from public.orders where customer_id = $1', params: ['3'] })
    expect(r.plan.writes).toEqual(['Delete on orders'])
    expect(r.plan.root.nodeType).toBe('ModifyTable')
    expect(await count()).toBe(20000)
    // The reader may not even plan it.
    await expect(explainStatement(reader, { statement: 'delete from public.orders where customer_id = $1', params: ['3'] })).rejects.toMatchObject({
      code: 'not_permitted',
    })
  })

  it('asks for values before analysing, and checks their number', async () => {
    await expect(refused('select * from public.orders where id = $1')).rejects.toMatchObject({
      code: 'invalid_input',
      message: 'EXPLAIN ANALYZE runs the statement: give values for its 1 parameter ($1 integer).',
    })
    await expect(explainStatement(reader, { statement: 'select * from public.orders where id = $1', params: ['1', '2'] })).rejects.toMatchObject({
      code: 'invalid_input',
      message: 'The statement has 1 parameter ($1 integer); 2 values were given.',
    })
    await expect(explainStatement(reader, { statement: 'select * from public.orders where id = $1', params: ['one'] })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('invalid input syntax for type integer'),
    })
    await expect(explainStatement(reader, { statement: '  ;' })).rejects.toMatchObject({ code: 'invalid_input' })
    await expect(explainStatement(reader, { statement: 'vacuum public.orders' })).rejects.toMatchObject({ code: 'invalid_input' })
  })

  it('cancels at the timeout, and releases session-level advisory locks', async () => {
    await expect(explainStatement(reader, { statement: 'select pg_sleep(5)', analyze: true, timeoutMs: 200 })).rejects.toMatchObject({
      code: 'refused',
      message: 'The statement ran longer than the EXPLAIN timeout and was cancelled; nothing was changed.',
    })
    const client = await reader.connect()
    try {
      await explainStatement(client, { statement: 'select pg_advisory_lock(42)', analyze: true })
      const { rows } = await client.query(`select count(*)::int as n from pg_locks where locktype = 'advisory' and pid = pg_backend_pid()`)
      expect(rows).toEqual([{ n: 0 }])
    } finally {
      client.release()
    }
  })
})

describe('explainInSession', () => {
  it("runs in a session owned by someone else (the restricted reader's shape), leaving its transaction to it", async () => {
    const client = await reader.connect()
    try {
      await client.query('begin transaction read only')
      // One statement per call through the extended protocol, as the restricted reader's session.query does.
      const session: ExplainSession = {
        query: async (text, params) => (await client.query({ text, values: [...params], queryMode: 'extended' } as pg.QueryConfig)).rows,
      }
      const r = await explainInSession(session, { statement: 'select count(*) from public.orders where customer_id = $1', params: ['4'], analyze: true })
      expect(r.mode).toBe('analyze')
      expect((await client.query('select count(*)::int as n from pg_prepared_statements')).rows).toEqual([{ n: 0 }])
      expect((await client.query('show transaction_read_only')).rows).toEqual([{ transaction_read_only: 'on' }])
      // A failing statement aborts the owner's transaction; the error is the statement's, not the clean-up's.
      await expect(explainInSession(session, { statement: 'select * from public.orders where id = $1', params: ['x'] })).rejects.toMatchObject({
        code: 'invalid_input',
        message: expect.stringContaining('invalid input syntax for type integer'),
      })
      await client.query('rollback')
    } finally {
      client.release()
    }
  })
})
