import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { freshStateDb } from '../../test/state-db'
import { findingJson } from './findings'
import { readFixManifest } from './fix-file'
import { fixOrphans, planFix, restoreFixedRows } from './fix-orphans'
import { countOrphans, sampleOrphans } from './orphans'
import { relationsToCheck } from './relations'
import { listSoftRelations, saveSoftRelation } from './soft-relations'
import { planChecks, runChecks } from './run-checks'
import { targetIdentity } from '../db/target-identity'

// Names that break string-built SQL, on both sides of a soft relation, in every column it touches.
const S = 'ünïcode schema'
const PARENT = 'Order; DROP TABLE x;--'
const CHILD = 'Línea "de" pedido; --'
const PARENT_KEY = 'Order "No"'
const CHILD_KEY = 'Zeile №'
const REF = 'Order Ref; DROP'
const rel = { schema: S, table: CHILD, columns: [REF], refSchema: S, refTable: PARENT, refColumns: [PARENT_KEY] }

let target: FreshDatabase
let state: FreshDatabase
/** Settings are kept per target (lib/db/target-identity.ts). */
const key = async () => (await targetIdentity(target.db)).key
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'odd-fix-'))

async function childRows() {
  const { rows } = await sql<{ row: Record<string, unknown> }>`
    select to_jsonb(c) as row from ${sql.id(S, CHILD)} as c order by ${sql.id('c', CHILD_KEY)}
  `.execute(target.db)
  return rows.map((r) => r.row)
}

beforeAll(async () => {
  ;[target, state] = await Promise.all([freshDatabase('odd'), freshStateDb()])
  await sql`create schema ${sql.id(S)}`.execute(target.db)
  await sql`create table ${sql.id(S, PARENT)} (${sql.id(PARENT_KEY)} bigint primary key, ${sql.id('Total €')} numeric(10,2))`.execute(target.db)
  await sql`create table ${sql.id(S, CHILD)} (
    ${sql.id(CHILD_KEY)} bigint generated always as identity primary key,
    ${sql.id(REF)} bigint,
    ${sql.id('Menge ÄÖÜ')} integer not null,
    ${sql.id('ДВАЖДЫ')} integer generated always as (${sql.id('Menge ÄÖÜ')} * 2) stored
  )`.execute(target.db)
  await sql`insert into ${sql.id(S, PARENT)} values (1, 10.5), (2, 20), (3, 0)`.execute(target.db)
  // Rows 1..3 have a parent; rows 4, 5, 6 point at orders 7, 8, 8 that do not exist; row 7 at none.
  await sql`insert into ${sql.id(S, CHILD)} (${sql.id(REF)}, ${sql.id('Menge ÄÖÜ')})
    values (1, 1), (2, 2), (3, 3), (7, 4), (8, 5), (8, 6), (null, 7)`.execute(target.db)
})
afterAll(async () => {
  await target?.drop()
  await state?.drop()
  fs.rmSync(dir, { recursive: true, force: true })
})

describe('odd names', () => {
  it('saves a soft relation between odd-named tables and reads it back intact', async () => {
    await expect(
      saveSoftRelation(target.db, state.db, { ...rel, columns: ['Ref"; --'], status: 'accepted', origin: 'manual', by: 'admin@test.local' }),
    ).rejects.toThrow(`${S}.${CHILD} has no column Ref"; --.`)
    await saveSoftRelation(target.db, state.db, { ...rel, status: 'accepted', origin: 'manual', note: "it's; odd", by: 'admin@test.local' })
    const saved = (await listSoftRelations(state.db, await key())).find((s) => s.schema === S)
    expect(saved).toMatchObject({ ...rel, note: "it's; odd", source: 'soft' })
    expect(await relationsToCheck(target.db, state.db)).toEqual([
      { ...rel, name: `${S}.${CHILD}(${REF}) → ${S}.${PARENT}(${PARENT_KEY})`, source: 'soft', validated: null },
    ])
  })

  it('counts and samples the orphans, NULL not counted', async () => {
    expect(await countOrphans(target.db, rel)).toBe(3)
    expect(await sampleOrphans(target.db, rel, [CHILD_KEY])).toEqual({
      columns: [CHILD_KEY, REF],
      rows: [
        ['4', '7'],
        ['5', '8'],
        ['6', '8'],
      ],
    })
    expect(await sampleOrphans(target.db, rel, [CHILD_KEY], 1)).toMatchObject({ rows: [['4', '7']] })
  })

  it('reports them in a whole run and in the CLI JSON', async () => {
    const { findings } = await runChecks(await planChecks(target.db, state.db))
    expect(findings.filter((f) => f.error)).toEqual([])
    const orphans = findings.filter((f) => f.check === 'orphans').map(findingJson)
    expect(orphans).toHaveLength(1)
    expect(orphans[0]).toMatchObject({ check: 'orphans', schema: S, table: CHILD, columns: [REF], refSchema: S, refTable: PARENT, refColumns: [PARENT_KEY], count: 3, source: 'soft' })
    expect(JSON.parse(JSON.stringify(orphans[0])).table).toBe(CHILD)
  })

  it('deletes them in batches, saving every row first, and restores them exactly', async () => {
    const before = await childRows()
    expect(await planFix(target.db, rel)).toEqual({ count: 3, keyColumns: [CHILD_KEY], canSetNull: true, cascades: [] })
    const file = path.join(dir, 'delete.jsonl')
    const progress: number[] = []
    const r = await fixOrphans(target.db, rel, { mode: 'delete', file, batchSize: 2, onProgress: (p) => void (p.phase === 'changing' && progress.push(p.changed)) })
    expect(r).toEqual({ saved: 3, changed: 3, total: 3, cancelled: false, file, phaseMs: expect.any(Object) })
    expect(progress).toEqual([0, 2, 3])
    const saved = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l).row)
    expect(saved).toEqual(before.slice(3, 6))
    expect(Object.keys(saved[0]).sort()).toEqual([CHILD_KEY, REF, 'Menge ÄÖÜ', 'ДВАЖДЫ'].sort())
    expect(await countOrphans(target.db, rel)).toBe(0)
    expect(await childRows()).toHaveLength(4)

    // Identity and generated columns: the saved values go back, the generated one is recomputed.
    expect(await restoreFixedRows(target.db, readFixManifest(file), file)).toEqual({ restored: 3, cancelled: false })
    expect(await childRows()).toEqual(before)
    expect(await countOrphans(target.db, rel)).toBe(3)
  })

  it('sets references to NULL, stops when cancelled, and restores them', async () => {
    const before = await childRows()
    const file = path.join(dir, 'null.jsonl')
    let batches = 0
    const r = await fixOrphans(target.db, rel, {
      mode: 'set_null',
      file,
      batchSize: 2,
      isCancelled: () => batches >= 2,
      onProgress: (p) => void (p.phase === 'changing' && batches++),
    })
    expect(r).toEqual({ saved: 3, changed: 2, total: 3, cancelled: true, file, phaseMs: expect.any(Object) })
    expect(fs.readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(3)
    expect(await countOrphans(target.db, rel)).toBe(1)
    // Only the two rows the cancelled fix changed are put back.
    expect(await restoreFixedRows(target.db, readFixManifest(file), file)).toEqual({ restored: 2, cancelled: false })
    expect(await childRows()).toEqual(before)
  })
})
