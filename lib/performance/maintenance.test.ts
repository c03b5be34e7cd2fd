import { sql } from 'kysely'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { AppSessions, waitFor } from '../../test/app-sessions'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { readIndexFindings } from './index-findings'
import { listIndexes } from './indexes'
import { cancelMaintenance, runMaintenance } from './maintenance'
import { readMaintenanceProgress } from './maintenance-progress'

const SCHEMA = 'ünïcode schema'
const ODD = 'Order; DROP TABLE x;--'
const COL = 'Wëird "col"'

let fresh: FreshDatabase
let app: AppSessions

beforeAll(async () => {
  fresh = await freshDatabase('maint')
  await sql`create schema ${sql.id(SCHEMA)}`.execute(fresh.db)
  await sql`create table ${sql.id(SCHEMA, ODD)} (id int primary key, ${sql.id(COL)} int, note text)`.execute(fresh.db)
  await sql`insert into ${sql.id(SCHEMA, ODD)} select g, g % 50, 'n' || g from generate_series(1, 5000) g`.execute(fresh.db)
  await sql`create index ${sql.id('by col')} on ${sql.id(SCHEMA, ODD)} (${sql.id(COL)})`.execute(fresh.db)
  await sql`create table public.child (id int primary key, parent int references ${sql.id(SCHEMA, ODD)} (id))`.execute(fresh.db)
  app = new AppSessions(fresh.url)
})

afterEach(async () => {
  await app.closeAll()
})

afterAll(async () => {
  await fresh?.drop()
})

const lastTimes = async () =>
  (
    await sql<{ v: Date | null; a: Date | null }>`
      select last_vacuum as v, last_analyze as a from pg_stat_user_tables where relname = ${ODD}`.execute(fresh.db)
  ).rows[0]

describe('runMaintenance', () => {
  it('runs VACUUM (ANALYZE), ANALYZE and REINDEX CONCURRENTLY on odd names, reporting the statement and pid', async () => {
    const started: number[] = []
    const vacuum = await runMaintenance(fresh.db, { kind: 'vacuum', schema: SCHEMA, table: ODD, analyze: true }, { onStarted: (pid) => started.push(pid) })
    expect(vacuum).toMatchObject({ status: 'done', statement: `VACUUM (ANALYZE) "${SCHEMA}"."${ODD}";`, leftovers: [] })
    expect(started).toEqual([vacuum.pid])
    expect(await runMaintenance(fresh.db, { kind: 'vacuum', schema: SCHEMA, table: ODD })).toMatchObject({ status: 'done', statement: `VACUUM "${SCHEMA}"."${ODD}";` })
    expect(await runMaintenance(fresh.db, { kind: 'analyze', schema: SCHEMA, table: ODD })).toMatchObject({ status: 'done', statement: `ANALYZE "${SCHEMA}"."${ODD}";` })
    expect(await runMaintenance(fresh.db, { kind: 'reindex', target: 'table', schema: SCHEMA, name: ODD })).toMatchObject({
      status: 'done',
      statement: `REINDEX TABLE CONCURRENTLY "${SCHEMA}"."${ODD}";`,
    })
    expect(await runMaintenance(fresh.db, { kind: 'reindex', target: 'index', schema: SCHEMA, name: 'by col' })).toMatchObject({
      status: 'done',
      statement: `REINDEX INDEX CONCURRENTLY "${SCHEMA}"."by col";`,
    })
    await waitFor(async () => {
      const t = await lastTimes()
      return t.v !== null && t.a !== null
    })
    // The pooled connection got its statement_timeout back.
    const { rows } = await sql<{ t: string }>`select current_setting('statement_timeout') as t`.execute(fresh.db)
    expect(rows).toEqual([{ t: '0' }])
  })

  it('creates and drops an index on an odd column', async () => {
    const created = await runMaintenance(fresh.db, { kind: 'create-index', schema: SCHEMA, table: ODD, columns: [COL, 'note'] })
    expect(created.statement).toBe(`CREATE INDEX CONCURRENTLY ON "${SCHEMA}"."${ODD}" ("Wëird ""col""", note);`)
    const made = (await listIndexes(fresh.db, { schema: SCHEMA })).indexes.find((i) => i.keyColumns.length === 2)!
    expect(made.keyColumns).toEqual([`"Wëird ""col"""`, 'note'])
    expect(made.valid).toBe(true)
    expect(await runMaintenance(fresh.db, { kind: 'drop-index', schema: SCHEMA, name: made.name })).toMatchObject({ status: 'done' })
    expect((await listIndexes(fresh.db, { schema: SCHEMA })).indexes.map((i) => i.name).sort()).toEqual(['by col', `${ODD}_pkey`].sort())
  })

  it('refuses what would fail or do something else, and nothing changes', async () => {
    await expect(runMaintenance(fresh.db, { kind: 'drop-index', schema: SCHEMA, name: `${ODD}_pkey` })).rejects.toMatchObject({
      code: 'refused',
      message: expect.stringContaining('enforces the constraint'),
    })
    await expect(runMaintenance(fresh.db, { kind: 'vacuum', schema: SCHEMA, table: 'nope' })).rejects.toMatchObject({
      code: 'invalid_input',
      message: `There is no table ${SCHEMA}.nope.`,
    })
    await expect(runMaintenance(fresh.db, { kind: 'reindex', target: 'index', schema: SCHEMA, name: ODD })).rejects.toMatchObject({ code: 'invalid_input' })
    await expect(runMaintenance(fresh.db, { kind: 'create-index', schema: SCHEMA, table: ODD, columns: ['nope; drop table x'] })).rejects.toMatchObject({
      code: 'invalid_input',
      message: `"${SCHEMA}"."${ODD}" has no column "nope; drop table x".`,
    })
    await expect(runMaintenance(fresh.db, { kind: 'create-index', schema: SCHEMA, table: ODD, columns: [] })).rejects.toMatchObject({ code: 'invalid_input' })
    expect((await listIndexes(fresh.db, { schema: SCHEMA })).indexes).toHaveLength(2)
  })

  it('shows progress and cancels on the signal; the invalid index left behind is reported', async () => {
    // An open writing transaction makes CREATE INDEX CONCURRENTLY wait in a phase the progress view shows.
    const writer = await app.open('dor-app')
    await writer.query('begin')
    await writer.query(`insert into "${SCHEMA}"."${ODD}" values (-1, 0, 'open')`)
    const controller = new AbortController()
    let pid = 0
    const running = runMaintenance(fresh.db, { kind: 'create-index', schema: SCHEMA, table: ODD, columns: ['note'] }, {
      signal: controller.signal,
      onStarted: (p) => (pid = p),
    })
    const progress = await waitFor(async () => (pid ? (await readMaintenanceProgress(fresh.db, { pid }))[0] : undefined))
    expect(progress).toMatchObject({ pid, command: 'CREATE INDEX CONCURRENTLY', schema: SCHEMA, table: ODD, autovacuum: false, database: expect.any(String) })
    expect(progress.phase).toMatch(/^waiting for/)
    controller.abort()
    const result = await running
    expect(result.status).toBe('cancelled')
    expect(result.leftovers).toHaveLength(1)
    expect(result.leftovers[0]).toMatch(/^"ünïcode schema"\./)
    await writer.query('rollback')

    const { findings } = await readIndexFindings(fresh.db, { schema: SCHEMA })
    const invalid = findings.filter((f) => f.kind === 'invalid')
    expect(invalid).toHaveLength(1)
    expect(invalid[0].sql).toBe(`REINDEX INDEX CONCURRENTLY ${result.leftovers[0]};`)
    await runMaintenance(fresh.db, { kind: 'drop-index', schema: SCHEMA, name: invalid[0].index! })
  })

  it('is cancelled by pid from elsewhere too, and a cancelled REINDEX CONCURRENTLY reports its _ccnew index', async () => {
    const writer = await app.open('dor-app')
    await writer.query('begin')
    await writer.query(`insert into "${SCHEMA}"."${ODD}" values (-2, 0, 'open')`)
    let pid = 0
    const running = runMaintenance(fresh.db, { kind: 'reindex', target: 'index', schema: SCHEMA, name: 'by col' }, { onStarted: (p) => (pid = p) })
    await waitFor(async () => (pid ? (await readMaintenanceProgress(fresh.db, { pid }))[0]?.phase.startsWith('waiting') : false))
    expect(await cancelMaintenance(fresh.db, pid)).toBe(true)
    const result = await running
    expect(result).toMatchObject({ status: 'cancelled', leftovers: [`"${SCHEMA}"."by col_ccnew"`] })
    await writer.query('rollback')
    const { findings } = await readIndexFindings(fresh.db, { schema: SCHEMA })
    expect(findings.find((f) => f.kind === 'invalid')).toMatchObject({
      index: 'by col_ccnew',
      sql: `DROP INDEX CONCURRENTLY "${SCHEMA}"."by col_ccnew";`,
      advice: expect.stringContaining('interrupted REINDEX CONCURRENTLY'),
    })
  })

  it('does not run at all when already aborted', async () => {
    const controller = new AbortController()
    controller.abort()
    const before = await lastTimes()
    expect(await runMaintenance(fresh.db, { kind: 'analyze', schema: SCHEMA, table: ODD }, { signal: controller.signal })).toMatchObject({ status: 'cancelled' })
    expect(await lastTimes()).toEqual(before)
  })
})
