import { execFileSync } from 'node:child_process'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppSessions, waitFor } from '../../test/app-sessions'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { pgToolEnv } from '../db/pg-tool-env'
import { type IndexFinding, readIndexFindings } from './index-findings'
import { listIndexes } from './indexes'
import { runMaintenance } from './maintenance'

const PSQL = '/usr/lib/postgresql/15/bin/psql'
const SCHEMA = 'ünïcode schema'
const ODD = 'Order; DROP TABLE x;--'

let fresh: FreshDatabase
let app: AppSessions

const of = (findings: IndexFinding[], kind: IndexFinding['kind'], index: string | null, table?: string) =>
  findings.find((f) => f.kind === kind && f.index === index && (table === undefined || f.table === table))

beforeAll(async () => {
  fresh = await freshDatabase('idx_find')
  const q = (s: ReturnType<typeof sql>) => s.execute(fresh.db)
  await q(sql`create schema ${sql.id(SCHEMA)}`)
  await q(sql`create table ${sql.id(SCHEMA, ODD)} (id int primary key, note text, "Mixed Case" int)`)
  await q(sql`create index ${sql.id('Idx; DROP TABLE y;--')} on ${sql.id(SCHEMA, ODD)} (note)`)
  await q(sql`create index ${sql.id('dup of note')} on ${sql.id(SCHEMA, ODD)} (note)`)
  await q(sql`create index ${sql.id('never used')} on ${sql.id(SCHEMA, ODD)} ("Mixed Case")`)

  // Prefix, uniqueness, method, predicate, expression, operator class and order.
  await q(sql`create table public.b (id int primary key, a int, c int, note text)`)
  await q(sql`create index b_ac on public.b (a, c)`)
  await q(sql`create index b_a on public.b (a)`)
  await q(sql`create unique index b_a_unique on public.b (a, id)`)
  await q(sql`create unique index b_id_unique on public.b (id)`) // same as the primary key, but unique: kept? no, dropped for the key
  await q(sql`create index b_a_hash on public.b using hash (a)`)
  await q(sql`create index b_a_partial on public.b (a) where c > 0`)
  await q(sql`create index b_lower on public.b (lower(note))`)
  await q(sql`create index b_note on public.b (note)`)
  await q(sql`create index b_note_pattern on public.b (note text_pattern_ops)`)
  await q(sql`create index b_c_desc on public.b (c desc)`)
  await q(sql`create index b_c on public.b (c)`)
  await q(sql`create index b_c_include on public.b (c) include (note)`)

  // A foreign key with no index, on a table read whole again and again.
  await q(sql`create table public.child (id int primary key, b_id int references public.b (id), ${sql.id('Wëird col')} int)`)
  await q(sql`insert into public.b (id, a, c, note) select g, g % 10, g % 7, 'n' || g from generate_series(1, 100) g`)
  await q(sql`insert into public.child select g, 1 + g % 100, g from generate_series(1, 20000) g`)
  await q(sql`analyze`)

  // An index a failed CREATE UNIQUE INDEX CONCURRENTLY left invalid.
  await expect(q(sql`create unique index concurrently child_not_unique on public.child (b_id)`)).rejects.toThrow(/could not create unique index/)

  app = new AppSessions(fresh.url)
  const s = await app.open('dor-app')
  for (let i = 0; i < 5; i++) await s.query('select count(*) from public.child where b_id = $1', [i])
  await s.query('set enable_seqscan = off')
  await s.query(`select * from public.b where lower(note) = 'n3'`)
  await s.query('select pg_stat_force_next_flush()')
  await waitFor(async () => {
    const { rows } = await sql<{ n: number }>`select seq_scan as n from pg_stat_user_tables where relname = 'child'`.execute(fresh.db)
    return rows[0].n >= 5
  })
})

afterAll(async () => {
  await app?.closeAll()
  await fresh?.drop()
})

describe('index findings', () => {
  it('lists usage and sizes with the reset date', async () => {
    const usage = await listIndexes(fresh.db)
    const used = usage.indexes.find((i) => i.name === 'b_lower')!
    expect(used).toMatchObject({ schema: 'public', table: 'b', method: 'btree', keyColumns: ['lower(note)'], includeColumns: [], valid: true, unique: false })
    expect(used.scans).toBe(1)
    expect(used.tuplesRead).toBe(1)
    expect(used.sizeBytes).toBeGreaterThan(0)
    expect(usage.indexes.find((i) => i.name === 'b_c_include')).toMatchObject({ keyColumns: ['c'], includeColumns: ['note'] })
    expect(usage.indexes.find((i) => i.name === 'b_pkey')).toMatchObject({ primary: true, constraint: { name: 'b_pkey', type: 'primary key' }, referencedByForeignKey: true })
    expect(usage.indexes.find((i) => i.name === 'Idx; DROP TABLE y;--')).toMatchObject({
      schema: SCHEMA,
      table: ODD,
      qualifiedName: '"ünïcode schema"."Idx; DROP TABLE y;--"',
      qualifiedTable: '"ünïcode schema"."Order; DROP TABLE x;--"',
    })
    expect(usage.statsResetAt).toBeNull()
  })

  it('finds duplicates and redundant indexes, and only those', async () => {
    const { findings } = await readIndexFindings(fresh.db)
    expect(of(findings, 'duplicate', 'dup of note')).toMatchObject({
      coveredBy: 'Idx; DROP TABLE y;--',
      sql: 'DROP INDEX CONCURRENTLY "ünïcode schema"."dup of note";',
      action: { kind: 'drop-index', schema: SCHEMA, name: 'dup of note' },
    })
    expect(of(findings, 'redundant', 'b_a')).toMatchObject({ sql: 'DROP INDEX CONCURRENTLY public.b_a;' })
    expect(['b_ac', 'b_a_unique']).toContain(of(findings, 'redundant', 'b_a')!.coveredBy)
    // The unique index on the key's column is the key's duplicate; the key stays.
    expect(of(findings, 'duplicate', 'b_id_unique')).toMatchObject({ coveredBy: 'b_pkey' })
    // b_c_desc orders differently; b_c_include carries more, so b_c is the one to go.
    expect(of(findings, 'duplicate', 'b_c')).toMatchObject({ coveredBy: 'b_c_include' })
    const flagged = findings.filter((f) => f.kind === 'duplicate' || f.kind === 'redundant').map((f) => f.index).sort()
    expect(flagged).toEqual(['b_a', 'b_c', 'b_id_unique', 'dup of note'])
  })

  it('finds unused indexes, never a key, a unique index or one already reported', async () => {
    const { findings, statsResetAt } = await readIndexFindings(fresh.db)
    expect(statsResetAt).toBeNull()
    const unused = findings.filter((f) => f.kind === 'unused').map((f) => f.index).sort()
    // b_lower was scanned once; keys, unique indexes and the ones reported above are left out.
    expect(unused).toEqual(['Idx; DROP TABLE y;--', 'b_a_hash', 'b_a_partial', 'b_ac', 'b_c_desc', 'b_c_include', 'b_note', 'b_note_pattern', 'never used'])
    expect(of(findings, 'unused', 'never used')).toMatchObject({
      sql: 'DROP INDEX CONCURRENTLY "ünïcode schema"."never used";',
      thresholds: ['unusedIndexMaxScans'],
      advice: expect.stringContaining('since statistics collection began (they were never reset)'),
    })
  })

  it('finds the invalid index and a missing index on a foreign key of a table read whole', async () => {
    const { findings } = await readIndexFindings(fresh.db)
    expect(of(findings, 'invalid', 'child_not_unique')).toMatchObject({
      sql: 'REINDEX INDEX CONCURRENTLY public.child_not_unique;',
      action: { kind: 'reindex-index', schema: 'public', name: 'child_not_unique' },
    })
    const missing = findings.filter((f) => f.kind === 'missing')
    expect(missing).toEqual([
      expect.objectContaining({
        table: 'child',
        sql: 'CREATE INDEX CONCURRENTLY ON public.child (b_id);',
        action: { kind: 'create-index', schema: 'public', table: 'child', columns: ['b_id'] },
        thresholds: ['missingIndexMinRows', 'missingIndexScanShare'],
      }),
    ])
    expect(missing[0].advice).toMatch(/^\d+ sequential scans since statistics collection began .* read \d+ rows each on average; only 0 % of scans used an index\. Its foreign key child_b_id_fkey \(b_id\) has no index/)
  })

  it('gives DROP statements that run as written in psql, and the same through runMaintenance', async () => {
    const { findings } = await readIndexFindings(fresh.db)
    const dup = of(findings, 'duplicate', 'dup of note')!
    execFileSync(PSQL, ['-X', '-v', 'ON_ERROR_STOP=1', '-c', dup.sql!], { env: pgToolEnv(fresh.url), stdio: 'pipe' })
    const unused = of(findings, 'unused', 'never used')!
    const action = unused.action!
    if (action.kind !== 'drop-index') throw new Error('expected a drop')
    expect(await runMaintenance(fresh.db, action)).toMatchObject({ status: 'done', statement: unused.sql })

    const names = (await listIndexes(fresh.db, { schema: SCHEMA })).indexes.map((i) => i.name).sort()
    expect(names).toEqual(['Idx; DROP TABLE y;--', `${ODD}_pkey`].sort())
    const after = await readIndexFindings(fresh.db, { schema: SCHEMA })
    expect(after.findings.map((f) => [f.kind, f.index])).toEqual([['unused', 'Idx; DROP TABLE y;--']])
  })

  it('creates the suggested index, after which the hint is gone', async () => {
    const { findings } = await readIndexFindings(fresh.db, { table: 'child' })
    const hint = findings.find((f) => f.kind === 'missing')!
    const action = hint.action!
    if (action.kind !== 'create-index') throw new Error('expected a create')
    expect(await runMaintenance(fresh.db, action)).toMatchObject({ status: 'done', statement: hint.sql })
    const again = await readIndexFindings(fresh.db, { table: 'child' })
    const stillMissing = again.findings.find((f) => f.kind === 'missing')
    expect(stillMissing?.sql ?? null).toBeNull()
  })
})
