import fs from 'node:fs'
import path from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BackupFixture, backupFixture, databaseExists, rowCounts } from '../../test/backup-fixture'
import { lockTable } from '../../test/lock-table'
import { createDb } from '../db/connect'
import { dropDeadScratchDatabases, listScratchDatabases } from '../migrations/scratch-database'
import { saveSoftRelation } from '../integrity/soft-relations'
import { liveSnapshot } from '../schema/take-snapshot'
import { getBackup, listBackups } from './catalogue'
import { createBackup } from './create-backup'
import { restoreDrill } from './drill'
import { restoreBackup } from './restore'
import { restoreTable } from './table-restore'
import type { WorkProgress } from './types'
import { verifyBackup } from './verify'

let f: BackupFixture
let expected: Record<string, number>

beforeAll(async () => {
  f = await backupFixture('bkp')
  expected = await rowCounts(f.target.db)
})
afterAll(async () => f?.close())

const uniqueName = (what: string) => `r_${what}_${Date.now().toString(36)}`

async function restoreNew(id: string, what: string) {
  const name = uniqueName(what)
  f.made.push(name)
  await restoreBackup(f.state.db, id, { ...f.common, into: { newDatabase: name }, createdBy: 'test' })
  return f.open(name)
}

describe('createBackup', () => {
  it('writes a checksummed 0600 file in a 0700 directory and catalogues it with exact row counts and progress', async () => {
    const seen: WorkProgress[] = []
    const r = await createBackup(f.state.db, { ...f.common, createdBy: 'admin@test.local', onProgress: (p) => seen.push(p) })
    expect(r.status).toBe('succeeded')
    expect(fs.statSync(f.common.dir).mode & 0o777).toBe(0o700)
    expect(fs.statSync(r.path).mode & 0o777).toBe(0o600)
    expect(fs.readdirSync(f.common.dir).filter((x) => x.endsWith('.partial'))).toEqual([])
    const rec = (await getBackup(f.state.db, f.common.targetKey, r.id))!
    expect(rec).toMatchObject({ status: 'succeeded', kind: 'full', format: 'custom', origin: 'manual', createdBy: 'admin@test.local', encrypted: false, sizeBytes: fs.statSync(r.path).size, compression: 1 })
    expect(rec.serverVersion).toMatch(/^15\./)
    expect(rec.toolVersion).toMatch(/^\d+\.\d+/)
    expect(rec.durationMs).toBeGreaterThan(0)
    expect(Object.fromEntries(rec.rowCounts!.map((c) => [`${c.schema}.${c.table}`, c.rows]))).toEqual(expected)
    const { createHash } = await import('node:crypto')
    expect(rec.sha256).toBe(createHash('sha256').update(fs.readFileSync(r.path)).digest('hex'))
    const last = seen.at(-1)!
    expect(last).toMatchObject({ phase: 'done', tablesDone: rec.tablesTotal, tablesTotal: Object.keys(expected).length })
    expect(seen.some((p) => p.phase === 'dumping' && typeof p.pid === 'number')).toBe(true)
  })

  it('limits a backup to named tables, and refuses a name that does not exist before anything runs', async () => {
    const r = await createBackup(f.state.db, { ...f.common, createdBy: 't', scope: { tables: [{ schema: 'public', table: 'meeting' }] } })
    expect(r.rowCounts).toEqual([{ schema: 'public', table: 'meeting', rows: expected['public.meeting'] }])
    const before = (await listBackups(f.state.db, f.common.targetKey)).length
    await expect(createBackup(f.state.db, { ...f.common, createdBy: 't', scope: { tables: [{ schema: 'public', table: 'no_such' }] } })).rejects.toThrow(/No table "public"."no_such"/)
    await expect(createBackup(f.state.db, { ...f.common, createdBy: 't', scope: { schemas: ['public'], tables: [{ schema: 'public', table: 'meeting' }] } })).rejects.toThrow(/schemas or to tables, not both/)
    expect((await listBackups(f.state.db, f.common.targetKey)).length).toBe(before)
  })
})

describe('restores give back the same rows and the same schema', () => {
  it.each([
    ['custom', {}],
    ['directory', { format: 'directory' as const, jobs: 2 }],
    ['plain', { format: 'plain' as const }],
  ])('a full %s backup restored into a new database', async (what, opts) => {
    const b = await createBackup(f.state.db, { ...f.common, createdBy: 't', ...opts })
    expect((await verifyBackup(f.state.db, b.id, f.common)).ok).toBe(true)
    const db = await restoreNew(b.id, what)
    expect(await rowCounts(db)).toEqual(expected)
    expect(await liveSnapshot(db)).toEqual(await liveSnapshot(f.target.db))
  })

  it('a parallel restore into a new database says when each entry is done, each table\'s data among them; a serial one says nothing', async () => {
    const b = await createBackup(f.state.db, { ...f.common, createdBy: 't' })
    const seen = new Map<string, string[]>()
    for (const jobs of [2, 1]) {
      const name = uniqueName(`data${jobs}`)
      f.made.push(name)
      const lines: string[] = []
      seen.set(String(jobs), lines)
      await restoreBackup(f.state.db, b.id, { ...f.common, into: { newDatabase: name }, createdBy: 'test', jobs, onItemFinished: (e) => void (e.desc === 'TABLE DATA' && lines.push(e.line)) })
    }
    const tables = Object.keys(expected).map((k) => k.split('.'))
    const parallel = seen.get('2')!
    expect(parallel.length).toBe(tables.length)
    for (const [s, t] of tables) expect(parallel.some((l) => l.startsWith(`TABLE DATA ${s} ${t} `))).toBe(true)
    expect(seen.get('1')).toEqual([])
  })

  it('a schema-only backup restores the same schema with no rows', async () => {
    const b = await createBackup(f.state.db, { ...f.common, createdBy: 't', kind: 'schema' })
    expect(b.rowCounts).toBeNull()
    const db = await restoreNew(b.id, 'schema')
    expect(await liveSnapshot(db)).toEqual(await liveSnapshot(f.target.db))
    expect(Object.values(await rowCounts(db)).every((n) => n === 0)).toBe(true)
  })

  it('a data-only backup restores the rows into the target schema, keys and NOT VALID constraints after the data', async () => {
    const b = await createBackup(f.state.db, { ...f.common, createdBy: 't', kind: 'data' })
    const db = await restoreNew(b.id, 'data')
    expect(await rowCounts(db)).toEqual(expected)
    expect(await liveSnapshot(db)).toEqual(await liveSnapshot(f.target.db))
  })

  it('a restore drill restores, compares counts, runs the orphan checks, drops the scratch database and records the result', async () => {
    const b = await createBackup(f.state.db, { ...f.common, createdBy: 't' })
    const d = await restoreDrill(f.state.db, b.id, f.common)
    expect(d.ok).toBe(true)
    expect(d.tables.every((t) => t.ok)).toBe(true)
    expect(d.tables.length).toBe(Object.keys(expected).length)
    // The demo's planted orphans show in the restored copy as in the target.
    expect(d.orphans.find((o) => o.relation === 'public.agenda_item → public.meeting')?.count).toBeGreaterThan(0)
    // Validated foreign keys were checked by PostgreSQL as the restore added them; the rest are counted.
    const fks = d.orphans.filter((o) => o.source === 'foreign_key' && o.validated)
    expect(fks.length).toBeGreaterThan(0)
    expect(fks.every((o) => o.by === 'constraint' && o.count === 0)).toBe(true)
    expect(d.orphans.filter((o) => !o.validated).every((o) => o.by === 'scan')).toBe(true)
    expect(await databaseExists(f.target.db, d.database)).toBe(false)
    expect(await getBackup(f.state.db, f.common.targetKey, b.id)).toMatchObject({ verifyKind: 'drill', verifyOk: true })
  })

  it("a drill's scratch database is owned while it runs: another check's cleanup of dead checks' leftovers leaves it", async () => {
    const b = await createBackup(f.state.db, { ...f.common, createdBy: 't' })
    // The drill's checks read the accepted soft relations: it waits there, after the restore.
    const locker = createDb(f.state.url, { max: 1 })
    const lock = await lockTable(locker, 'soft_relation')
    let drill: ReturnType<typeof restoreDrill> | undefined
    try {
      let checking = false
      drill = restoreDrill(f.state.db, b.id, { ...f.common, onProgress: (p) => (checking ||= p.phase === 'checking') })
      drill.catch(() => {})
      for (let i = 0; i < 600 && !checking; i++) await new Promise((r) => setTimeout(r, 50))
      expect(checking).toBe(true)
      const [scratch] = (await listScratchDatabases(f.common.targetUrl)).filter((d) => d.purpose === 'drill')
      expect(scratch).toMatchObject({ inUse: true })
      expect((await dropDeadScratchDatabases(f.common.targetUrl)).dropped).not.toContain(scratch.name)
      expect(await databaseExists(f.target.db, scratch.name)).toBe(true)
    } finally {
      await lock.release()
      await locker.destroy()
    }
    expect(await drill).toMatchObject({ ok: true, error: null })
    expect((await listScratchDatabases(f.common.targetUrl)).filter((d) => d.purpose === 'drill')).toEqual([])
  })

  it('a drill finds rows that differ from the counts recorded at backup time', async () => {
    const b = await createBackup(f.state.db, { ...f.common, createdBy: 't' })
    await f.state.db.updateTable('backup').set({ row_counts: JSON.stringify(b.rowCounts!.map((c) => (c.table === 'meeting' ? { ...c, rows: c.rows + 1 } : c))) }).where('id', '=', b.id).execute()
    const d = await restoreDrill(f.state.db, b.id, f.common)
    expect(d.ok).toBe(false)
    expect(d.problems.join('\n')).toMatch(/public\.meeting has \d+ rows after the restore, \d+ at backup time/)
  })

  it("a drill checks the target's soft relations, not settings of its scratch copy (kept per target)", async () => {
    await saveSoftRelation(f.target.db, f.state.db, {
      schema: 'public', table: 'meeting_attendee', columns: ['meeting_id'], refSchema: 'public', refTable: 'meeting', refColumns: ['id'],
      status: 'accepted', origin: 'manual', by: 'admin@test.local',
    })
    const seeded = async () => (await sql<{ n: number }>`select count(*)::int as n from integrity_preset_seed`.execute(f.state.db)).rows[0].n
    const before = await seeded()
    const b = await createBackup(f.state.db, { ...f.common, createdBy: 't' })
    const d = await restoreDrill(f.state.db, b.id, f.common)
    expect(d.orphans.find((o) => o.relation === 'public.meeting_attendee → public.meeting')).toMatchObject({ source: 'soft' })
    // The scratch database is no target of its own: no presets were seeded for it.
    expect(await seeded()).toBe(before)
  })

  it('a failed restore into a new database drops it and leaves the target untouched', async () => {
    const b = await createBackup(f.state.db, { ...f.common, createdBy: 't' })
    fs.truncateSync(b.path, Math.floor(b.sizeBytes * 0.6))
    const name = uniqueName('broken')
    await expect(restoreBackup(f.state.db, b.id, { ...f.common, into: { newDatabase: name }, createdBy: 't' })).rejects.toMatchObject({ backupCode: 'restore_failed' })
    expect(await databaseExists(f.target.db, name)).toBe(false)
    expect(await rowCounts(f.target.db)).toEqual(expected)
    // Plain SQL goes through psql with ON_ERROR_STOP: a statement that fails stops it with an error
    // (without it psql goes on, and exits 0 with an empty database).
    const plain = await createBackup(f.state.db, { ...f.common, createdBy: 't', format: 'plain' })
    const text = fs.readFileSync(plain.path, 'utf8')
    expect(text).toContain('CREATE TABLE public.meeting (')
    fs.writeFileSync(plain.path, text.replace('CREATE TABLE public.meeting (', 'CREATE TABLE public.meeting (broken no_such_type, '))
    const plainName = uniqueName('broken_plain')
    await expect(restoreBackup(f.state.db, plain.id, { ...f.common, into: { newDatabase: plainName }, createdBy: 't' })).rejects.toMatchObject({
      backupCode: 'restore_failed',
      message: expect.stringMatching(/psql exited with code 3:[\s\S]*type "no_such_type" does not exist/),
    })
    expect(await databaseExists(f.target.db, plainName)).toBe(false)
    const existing = f.target.db
    const targetName = (await sql<{ d: string }>`select current_database() as d`.execute(existing)).rows[0].d
    await expect(restoreBackup(f.state.db, b.id, { ...f.common, into: { newDatabase: targetName }, createdBy: 't' })).rejects.toMatchObject({ backupCode: 'conflict' })
  })
})

describe('single-table restores', () => {
  it('restores a table into an empty database with its enum type, sequence, keys and indexes, and says what it included', async () => {
    const b = await createBackup(f.state.db, { ...f.common, createdBy: 't' })
    const name = uniqueName('table')
    f.made.push(name)
    const r = await restoreTable(f.state.db, b.id, { ...f.common, createdBy: 't', table: { schema: 'public', table: 'agenda_item' }, into: { newDatabase: name } })
    expect(r.rows).toBe(expected['public.agenda_item'])
    const types = r.included.map((e) => `${e.type} ${e.name}`)
    expect(types).toEqual(expect.arrayContaining(['TYPE agendaitemtype', 'TABLE agenda_item', 'TABLE DATA agenda_item', 'SEQUENCE agenda_item_id_seq', 'CONSTRAINT agenda_item agenda_item_pkey']))
    // Dependencies come first: the type before the table, the table before its key.
    expect(types.indexOf('TYPE agendaitemtype')).toBeLessThan(types.indexOf('TABLE agenda_item'))
    expect(types.indexOf('TABLE DATA agenda_item')).toBeLessThan(types.indexOf('CONSTRAINT agenda_item agenda_item_pkey'))
    expect(r.skipped.map((s) => s.type)).toContain('FK CONSTRAINT')
    const db = f.open(name)
    const { rows } = await sql<{ n: string }>`select nextval('agenda_item_id_seq') as n`.execute(db)
    expect(Number(rows[0].n)).toBeGreaterThan(expected['public.agenda_item'] - 1)
  })

  it('restores a dropped table into the target, and a copy under a new name beside the original', async () => {
    const b = await createBackup(f.state.db, { ...f.common, createdBy: 't' })
    await expect(restoreTable(f.state.db, b.id, { ...f.common, createdBy: 't', table: { schema: 'public', table: 'meeting' } })).rejects.toMatchObject({ backupCode: 'conflict' })
    const copy = await restoreTable(f.state.db, b.id, { ...f.common, createdBy: 't', table: { schema: 'public', table: 'meeting' }, as: 'meeting_restored' })
    expect(copy.rows).toBe(expected['public.meeting'])
    expect(copy.present.map((e) => e.name)).toContain('meetingtype')
    const { rows: idx } = await sql<{ n: string }>`select indexname as n from pg_indexes where tablename = 'meeting_restored' order by 1`.execute(f.target.db)
    expect(idx.map((i) => i.n)).toContain('meeting_restored_pkey')
    await sql`drop table meeting_restored`.execute(f.target.db)

    await sql`drop table registration_request`.execute(f.target.db)
    const back = await restoreTable(f.state.db, b.id, { ...f.common, createdBy: 't', table: { schema: 'public', table: 'registration_request' } })
    expect(back.rows).toBe(expected['public.registration_request'])
    expect(back.present.map((e) => e.name)).toContain('registrationstatus')
    expect(back.included.map((e) => e.type)).toContain('FK CONSTRAINT')
    expect(await rowCounts(f.target.db)).toEqual(expected)
  })
})

describe('restore over the target', () => {
  it('takes a safety backup first, then puts the backup back in one transaction', async () => {
    const b = await createBackup(f.state.db, { ...f.common, createdBy: 't' })
    const before = await liveSnapshot(f.target.db)
    await sql`delete from registration_request where id % 2 = 0`.execute(f.target.db)
    const r = await restoreBackup(f.state.db, b.id, { ...f.common, into: 'target', createdBy: 'admin@test.local' })
    expect(r.safetyBackupId).toBeTruthy()
    expect(await getBackup(f.state.db, f.common.targetKey, r.safetyBackupId!)).toMatchObject({ origin: 'safety', status: 'succeeded', createdBy: 'admin@test.local' })
    expect(await rowCounts(f.target.db)).toEqual(expected)
    expect(await liveSnapshot(f.target.db)).toEqual(before)
  })

  it('refuses schema-only, data-only and plain backups over the target', async () => {
    const b = await createBackup(f.state.db, { ...f.common, createdBy: 't', kind: 'schema' })
    await expect(restoreBackup(f.state.db, b.id, { ...f.common, into: 'target', createdBy: 't' })).rejects.toThrow(/Only a full backup/)
    expect(fs.existsSync(path.join(f.common.dir))).toBe(true)
  })
})
