import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { type Kysely, sql } from 'kysely'
import { afterAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { createDb } from '../db/connect'
import { type EmbeddedCluster, startCluster } from '../embedded/cluster'
import { listSlowQueries } from './slow-queries'
import { createStatementsExtension, describeStatementsStatus, readStatementsStatus, splitSettingList, type StatementsFacts } from './statements-extension'

const facts = (f: Partial<StatementsFacts>): StatementsFacts => ({
  availableVersion: '1.10',
  installedVersion: null,
  schema: null,
  loaded: false,
  preload: '',
  superuser: false,
  ...f,
})

describe('describeStatementsStatus', () => {
  it('is ready when loaded and created, and suggests an update when the extension lags the server', () => {
    expect(describeStatementsStatus(facts({ loaded: true, installedVersion: '1.10', schema: 'public' }))).toMatchObject({ state: 'ready', steps: [] })
    expect(describeStatementsStatus(facts({ loaded: true, installedVersion: '1.8', schema: 'public' })).steps).toEqual([
      { text: 'The extension is at version 1.8; the server ships 1.10. Update it for the newer columns.', sql: 'ALTER EXTENSION pg_stat_statements UPDATE;' },
    ])
  })

  it('says to preload, keeping the libraries already there, restart and create', () => {
    const s = describeStatementsStatus(facts({ preload: 'auto_explain, "my lib"' }))
    expect(s.state).toBe('not-preloaded')
    expect(s.steps).toEqual([
      {
        text: 'As a superuser, add pg_stat_statements to shared_preload_libraries (this keeps the libraries already listed).',
        sql: "ALTER SYSTEM SET shared_preload_libraries = 'auto_explain', 'my lib', 'pg_stat_statements';",
      },
      { text: 'Restart PostgreSQL: shared_preload_libraries is read only at server start (a reload is not enough).' },
      { text: 'As a superuser, create the extension in this database.', sql: 'CREATE EXTENSION pg_stat_statements;' },
    ])
    expect(s.canCreate).toBe(false)
  })

  it('says only to restart when the setting already lists it, and only what it can when the setting is unreadable', () => {
    expect(describeStatementsStatus(facts({ preload: 'pg_stat_statements', installedVersion: '1.10' })).steps.map((s) => s.text)).toEqual([
      'shared_preload_libraries already lists pg_stat_statements, but the server has not been restarted since.',
      'Restart PostgreSQL: shared_preload_libraries is read only at server start (a reload is not enough).',
    ])
    const unreadable = describeStatementsStatus(facts({ preload: null }))
    expect(unreadable.steps[0]).toEqual({
      text: 'Add pg_stat_statements to shared_preload_libraries, keeping the libraries already listed there (this role may not read the setting: it needs pg_read_all_settings).',
    })
  })

  it('says to install the contrib modules when the server has no extension files', () => {
    const s = describeStatementsStatus(facts({ availableVersion: null }))
    expect(s.state).toBe('not-available')
    expect(s.steps[0].text).toContain('contrib')
    expect(s.steps.at(-1)?.sql).toBe('CREATE EXTENSION pg_stat_statements;')
  })

  it('offers CREATE EXTENSION only to a superuser when the library is loaded', () => {
    expect(describeStatementsStatus(facts({ loaded: true, superuser: true }))).toMatchObject({
      state: 'not-created',
      canCreate: true,
      steps: [{ sql: 'CREATE EXTENSION pg_stat_statements;' }],
    })
    expect(describeStatementsStatus(facts({ loaded: true, superuser: false })).canCreate).toBe(false)
  })

  it('splits setting lists as the server does', () => {
    expect(splitSettingList('')).toEqual([])
    expect(splitSettingList('a,b , c')).toEqual(['a', 'b', 'c'])
    expect(splitSettingList('"with, comma", "quote""d"')).toEqual(['with, comma', 'quote"d'])
  })
})

describe('on the test cluster (preloaded)', () => {
  let fresh: FreshDatabase
  afterAll(async () => {
    await fresh?.drop()
  })

  it('finds it not created in a new database, creates it for a superuser, then reads it', async () => {
    fresh = await freshDatabase('stmt_ext')
    const before = await readStatementsStatus(fresh.db)
    expect(before).toMatchObject({
      state: 'not-created',
      canCreate: true,
      facts: { loaded: true, installedVersion: null, preload: 'pg_stat_statements', superuser: true, availableVersion: '1.10' },
    })
    const list = await listSlowQueries(fresh.db)
    expect(list).toMatchObject({ status: { state: 'not-created' }, queries: [], columns: null })

    const after = await createStatementsExtension(fresh.db)
    expect(after).toMatchObject({ state: 'ready', facts: { installedVersion: '1.10', schema: 'public' } })
    expect((await listSlowQueries(fresh.db)).columns).toMatchObject({ totalMs: 'total_exec_time', toplevel: true, info: true, statsSince: false })
  })
})

describe('on a server started without it in shared_preload_libraries', () => {
  const root = path.resolve('.data/test-nopreload', randomBytes(4).toString('hex'))
  let cluster: EmbeddedCluster | undefined
  let db: Kysely<any> | undefined
  afterAll(async () => {
    await db?.destroy()
    await cluster?.stop()
    fs.rmSync(root, { recursive: true, force: true })
    try {
      fs.rmdirSync(path.dirname(root))
    } catch {
      // Another run still has its directory there.
    }
  }, 60_000)

  it('says to preload and restart, and lists nothing instead of failing, even with the extension created', async () => {
    cluster = await startCluster({
      pgdata: path.join(root, 'postgres'),
      password: 'nopreload-test',
      whenRunning: 'adopt',
      onLog: () => {},
      settings: { shared_preload_libraries: '' },
    })
    db = createDb(cluster.url('postgres'), { max: 2 })
    const status = await readStatementsStatus(db)
    expect(status).toMatchObject({ state: 'not-preloaded', canCreate: false, facts: { loaded: false, preload: '' } })
    expect(status.steps.map((s) => s.sql ?? null)).toEqual([
      "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements';",
      null,
      'CREATE EXTENSION pg_stat_statements;',
    ])
    await expect(createStatementsExtension(db)).rejects.toMatchObject({ code: 'unavailable' })

    // Created anyway, the view fails on the server; the list reports the status instead.
    await sql`create extension pg_stat_statements`.execute(db)
    await expect(sql`select count(*) from pg_stat_statements`.execute(db)).rejects.toThrow(/must be loaded via "?shared_preload_libraries/)
    const list = await listSlowQueries(db)
    expect(list.status.state).toBe('not-preloaded')
    expect(list.status.steps.map((s) => s.sql ?? null)).toEqual(["ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements';", null])
    expect(list.queries).toEqual([])
  })
})
