import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { buildDemoDatabase } from '../demo/prepare-demo'
import { manifestPath, readFixManifest } from './fix-file'
import { type FixProgress, fixOrphans, planFix, restoreFix, restoreFixedRows } from './fix-orphans'
import { countOrphans } from './orphans'

let target: FreshDatabase
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fix-'))
const agendaMeeting = { schema: 'public', table: 'agenda_item', columns: ['meeting_id'], refSchema: 'public', refTable: 'meeting', refColumns: ['id'] }
const uploadAgenda = { schema: 'public', table: 'fileupload', columns: ['agenda_item_id'], refSchema: 'public', refTable: 'agenda_item', refColumns: ['id'] }

beforeAll(async () => {
  target = await freshDatabase('fix')
  await buildDemoDatabase(target.db)
})
afterAll(async () => {
  await target?.drop()
  fs.rmSync(dir, { recursive: true, force: true })
})

describe('fixing orphans', () => {
  it('plans: counts and allowed modes', async () => {
    expect(await planFix(target.db, agendaMeeting)).toEqual({ count: 25, keyColumns: ['id'], canSetNull: false, cascades: [] })
    expect(await planFix(target.db, uploadAgenda)).toEqual({ count: 15, keyColumns: ['id'], canSetNull: true, cascades: [] })
  })

  it('refuses set NULL on a NOT NULL column', async () => {
    await expect(fixOrphans(target.db, agendaMeeting, { mode: 'set_null', file: path.join(dir, 'x.jsonl') })).rejects.toThrow(
      'meeting_id does not allow NULL: only deleting is possible.',
    )
  })

  it('a fix cancelled half-way leaves whole batches and a complete saved-rows file, and can be restored', async () => {
    const file = path.join(dir, 'agenda.jsonl')
    const seen: FixProgress[] = []
    const changing = () => seen.filter((p) => p.phase === 'changing').length
    const r = await fixOrphans(target.db, agendaMeeting, {
      mode: 'delete',
      file,
      batchSize: 10,
      expected: 25,
      isCancelled: () => changing() >= 2,
      onProgress: (p) => {
        seen.push(p)
      },
    })
    // progress is reported before the first batch of each phase and after each batch
    expect(seen).toEqual([
      { phase: 'saving', saved: 0, changed: 0, total: 25 },
      { phase: 'saving', saved: 10, changed: 0, total: 25 },
      { phase: 'saving', saved: 20, changed: 0, total: 25 },
      { phase: 'saving', saved: 25, changed: 0, total: 25 },
      { phase: 'changing', saved: 25, changed: 0, total: 25 },
      { phase: 'changing', saved: 25, changed: 10, total: 25 },
    ])
    expect(r).toMatchObject({ cancelled: true, saved: 25, changed: 10, total: 25 })
    expect(fs.readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(25)
    expect(await countOrphans(target.db, agendaMeeting)).toBe(15)
    expect(await restoreFixedRows(target.db, readFixManifest(file), file)).toEqual({ restored: 10, cancelled: false })
    expect(await countOrphans(target.db, agendaMeeting)).toBe(25)
  })

  it('sets references to NULL in batches and restores them', async () => {
    const file = path.join(dir, 'uploads.jsonl')
    const r = await fixOrphans(target.db, uploadAgenda, { mode: 'set_null', file, batchSize: 4 })
    expect(r).toMatchObject({ cancelled: false, saved: 15, changed: 15 })
    expect(await countOrphans(target.db, uploadAgenda)).toBe(0)
    expect(readFixManifest(file)).toMatchObject({ relation: uploadAgenda, mode: 'set_null', keyColumns: ['id'] })
    expect(await restoreFix(target.db, file)).toMatchObject({ restored: 15, cancelled: false })
    expect(await countOrphans(target.db, uploadAgenda)).toBe(15)
    // restoring again is harmless: no reference is NULL any more, so nothing is written
    expect(await restoreFixedRows(target.db, readFixManifest(file), file)).toEqual({ restored: 0, cancelled: false })
    expect(await countOrphans(target.db, uploadAgenda)).toBe(15)
  })

  it('a fix cancelled while saving changes nothing and leaves no incomplete file', async () => {
    const file = path.join(dir, 'agenda-cancelled.jsonl')
    const r = await fixOrphans(target.db, agendaMeeting, { mode: 'delete', file, batchSize: 10, isCancelled: () => true })
    expect(r).toMatchObject({ cancelled: true, saved: 0, changed: 0 })
    expect(fs.existsSync(file)).toBe(false)
    expect(await countOrphans(target.db, agendaMeeting)).toBe(25)
  })

  it('saves rows and manifest 0600 in a 0700 directory', async () => {
    const folder = path.join(dir, 'backups')
    fs.mkdirSync(folder, { mode: 0o755 })
    const umask = process.umask(0o022)
    try {
      const file = path.join(folder, 'uploads-private.jsonl')
      await fixOrphans(target.db, uploadAgenda, { mode: 'set_null', file })
      await restoreFix(target.db, file)
      expect(fs.statSync(file).mode & 0o777).toBe(0o600)
      expect(fs.statSync(manifestPath(file)).mode & 0o777).toBe(0o600)
      expect(fs.statSync(folder).mode & 0o777).toBe(0o700)
    } finally {
      process.umask(umask)
    }
  })

  it('never overwrites an existing saved-rows file', async () => {
    const file = path.join(dir, 'agenda.jsonl')
    await expect(fixOrphans(target.db, agendaMeeting, { mode: 'delete', file })).rejects.toThrow(/EEXIST/)
    expect(await countOrphans(target.db, agendaMeeting)).toBe(25)
  })
})
