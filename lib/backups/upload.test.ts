import fs from 'node:fs'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BackupFixture, backupFixture } from '../../test/backup-fixture'
import { getBackup } from './catalogue'
import { createBackup } from './create-backup'
import { restoreDrill } from './drill'
import { acceptUpload } from './upload'

let f: BackupFixture
beforeAll(async () => {
  f = await backupFixture('bku')
})
afterAll(async () => f?.close())

const opts = () => ({ dir: f.common.dir, pgBinDir: f.common.pgBinDir, target: { key: f.common.targetKey, database: 'uploaded_db' }, maxBytes: 50 * 1024 * 1024, createdBy: 'admin@test.local' })
const leftovers = () => fs.readdirSync(f.common.dir).filter((x) => x.includes('upload'))

describe('acceptUpload', () => {
  it('accepts a custom-format dump that pg_restore reads, streamed from a web stream, and catalogues it', async () => {
    const made = await createBackup(f.state.db, { ...f.common, createdBy: 't' })
    const web = Readable.toWeb(fs.createReadStream(made.path, { highWaterMark: 4096 })) as ReadableStream<Uint8Array>
    const r = await acceptUpload(f.state.db, web, opts())
    expect(r).toMatchObject({ kind: 'full', sizeBytes: made.sizeBytes, sha256: made.sha256 })
    expect(await getBackup(f.state.db, f.common.targetKey, r.id)).toMatchObject({ origin: 'upload', status: 'succeeded', rowCounts: null, targetDatabase: 'uploaded_db' })
    const d = await restoreDrill(f.state.db, r.id, f.common)
    expect(d.ok).toBe(true)
    expect(d.problems.join()).toMatch(/No row counts were recorded/)
  })

  it('refuses what pg_restore cannot read, plain SQL, an empty body and anything over the limit, leaving no file', async () => {
    const before = leftovers()
    await expect(acceptUpload(f.state.db, Readable.from([Buffer.from('PGDMP not really')]), opts())).rejects.toMatchObject({ backupCode: 'invalid_input', message: expect.stringMatching(/^Not a custom-format dump/) })
    await expect(acceptUpload(f.state.db, Readable.from([Buffer.from('--\n-- PostgreSQL database dump\n')]), opts())).rejects.toMatchObject({ backupCode: 'invalid_input' })
    await expect(acceptUpload(f.state.db, Readable.from([]), opts())).rejects.toMatchObject({ message: 'The upload is empty.' })
    const big = Readable.from((function* () {
      for (let i = 0; i < 40; i++) yield Buffer.alloc(64 * 1024, 1)
    })())
    await expect(acceptUpload(f.state.db, big, { ...opts(), maxBytes: 1024 * 1024 })).rejects.toMatchObject({ backupCode: 'too_large' })
    expect(leftovers()).toEqual(before)
  })
})
