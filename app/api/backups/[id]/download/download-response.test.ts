import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ActionHarness, openActionHarness } from '../../../../../test/action-harness'
import { PG_BIN_DIR } from '../../../../../test/backup-fixture'
import type { Role } from '@/lib/auth/permissions'
import { listAudit } from '@/lib/audit/audit-log'
import { insertUploadedBackup } from '@/lib/backups/catalogue'
import { type BackupResult, createBackup } from '@/lib/backups/create-backup'
import { openDownload, writeStreamTo } from '@/lib/backups/download'
import { targetIdentity } from '@/lib/db/target-identity'
import { buildDemoDatabase } from '@/lib/demo/prepare-demo'
import { PASSED_LENGTH } from '@/lib/http/content-length'
import { downloadResponse } from './download-response'

const PASSPHRASE = 'download-test-passphrase'

let h: ActionHarness
let dir: string
let plain: BackupResult
let sealed: BackupResult

beforeAll(async () => {
  h = await openActionHarness('bkdl', buildDemoDatabase)
  process.env.BACKUP_ENCRYPTION_PASSPHRASE = PASSPHRASE
  dir = path.join(h.dataDir, 'backups')
  const common = { targetUrl: h.target.url, dir, pgBinDir: PG_BIN_DIR, createdBy: 't' }
  plain = await createBackup(h.state.db, common)
  sealed = await createBackup(h.state.db, { ...common, encryption: { passphrase: PASSPHRASE } })
})
afterAll(async () => {
  delete process.env.BACKUP_ENCRYPTION_PASSPHRASE
  await h?.close()
})

function get(role: Role | null, id: string, o: { range?: string; decrypt?: boolean } = {}): Promise<Response> {
  const url = `http://localhost/api/backups/${encodeURIComponent(id)}/download${o.decrypt ? '?decrypt=1' : ''}`
  const request = new Request(url, { headers: o.range ? { range: o.range } : {} })
  return downloadResponse(request, id, {
    stateDb: h.state.db,
    session: role ? { userId: h.state.users[role].id, sessionVersion: 1 } : null,
    clientIp: '203.0.113.9',
  })
}

const bytes = async (r: Response) => Buffer.from(await r.arrayBuffer())
const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex')

describe('GET /api/backups/<id>/download', () => {
  it('streams the file to an admin: the same bytes, attachment, no-store, audited', async () => {
    const r = await get('admin', plain.id)
    expect(r.status).toBe(200)
    expect(r.headers.get('content-disposition')).toBe(`attachment; filename="${plain.file}"`)
    expect(r.headers.get('cache-control')).toBe('no-store')
    expect(r.headers.get('accept-ranges')).toBe('bytes')
    const body = await bytes(r)
    expect(body.equals(fs.readFileSync(path.join(dir, plain.file)))).toBe(true)
    expect(sha(body)).toBe(plain.sha256)
    const audit = await listAudit(h.state.db, { action: 'backups.download', result: 'ok' })
    expect(audit[0]).toMatchObject({ actorEmail: 'admin@test.local', target: `backup ${plain.id}`, message: `Downloaded ${plain.file} (as stored)`, clientIp: '203.0.113.9' })
  })

  it('answers a range with 206 and just those bytes, and 416 past the end', async () => {
    const file = fs.readFileSync(path.join(dir, plain.file))
    const r = await get('admin', plain.id, { range: 'bytes=100-1099' })
    expect(r.status).toBe(206)
    expect(r.headers.get('content-range')).toBe(`bytes 100-1099/${file.length}`)
    expect((await bytes(r)).equals(file.subarray(100, 1100))).toBe(true)
    const tail = await get('admin', plain.id, { range: `bytes=${file.length - 10}-` })
    expect((await bytes(tail)).equals(file.subarray(file.length - 10))).toBe(true)
    const past = await get('admin', plain.id, { range: `bytes=${file.length}-` })
    expect(past.status).toBe(416)
  })

  it('refuses viewers and operators with 403 from the route itself, and audits the refusal', async () => {
    for (const role of ['viewer', 'operator'] as const) {
      const r = await get(role, plain.id)
      expect(r.status).toBe(403)
      expect(await r.text()).toBe(`Your role (${role}) may not do this.\n`)
    }
    expect((await get(null, plain.id)).status).toBe(401)
    const denied = await listAudit(h.state.db, { action: 'backups.download', result: 'denied' })
    expect(denied.map((a) => a.actorEmail).sort()).toEqual([null, 'operator@test.local', 'viewer@test.local'])
  })

  it('gives 404 for ids that are paths, unknown or deleted, never a file', async () => {
    for (const id of ['../../etc/passwd', '..%2F..%2Fetc%2Fpasswd', plain.file, '00000000-0000-4000-8000-000000000000', '']) {
      const r = await get('admin', id)
      expect(r.status, id).toBe(404)
      expect(await r.text()).toBe('No such backup.\n')
    }
  })

  it('a NUL byte in the id (%00 in the URL) is a 404 for an admin and a 403 for a viewer, audited, not a 500 from the audit log', async () => {
    for (const id of [`${plain.id}\0`, '\0', `../\0/etc/passwd`]) {
      const r = await get('admin', id)
      expect(r.status, JSON.stringify(id)).toBe(404)
      expect(await r.text()).toBe('No such backup.\n')
      expect((await get('viewer', id)).status).toBe(403)
    }
    const [refused] = await listAudit(h.state.db, { action: 'backups.download', result: 'denied' })
    expect(refused).toMatchObject({ actorEmail: 'viewer@test.local', input: { id: '../\uFFFD/etc/passwd' } })
    const [missing] = await listAudit(h.state.db, { action: 'backups.download', result: 'failed' })
    expect(missing).toMatchObject({ actorEmail: 'admin@test.local', target: 'backup ../\uFFFD/etc/passwd', code: 'not_found' })
  })

  it('serves an encrypted backup as stored or decrypted, the choice in the audit log', async () => {
    const stored = await get('admin', sealed.id)
    expect(stored.headers.get('content-disposition')).toBe(`attachment; filename="${sealed.file}"`)
    expect(sha(await bytes(stored))).toBe(sealed.sha256)

    const open = await get('admin', sealed.id, { decrypt: true })
    expect(open.status).toBe(200)
    expect(open.headers.get('content-disposition')).toBe(`attachment; filename="${sealed.file.replace(/\.age$/, '')}"`)
    const dump = await bytes(open)
    expect(dump.subarray(0, 5).toString()).toBe('PGDMP')
    expect(open.headers.get('content-length')).toBeNull()
    expect(dump.length).toBe(Number(open.headers.get(PASSED_LENGTH)))
    // The decrypted bytes are a dump of the same database as the unencrypted backup: same size within pg_dump's timestamps.
    expect(Math.abs(dump.length - plain.sizeBytes)).toBeLessThan(200)

    // The CLI's writer takes the decrypted stream too (chunk by chunk: it is not a byte stream).
    const out = path.join(h.dataDir, 'decrypted-out.dump')
    const fd = fs.openSync(out, 'w', 0o600)
    try {
      const d = await openDownload(h.state.db, dir, { targetKey: (await targetIdentity(h.target.db)).key, id: sealed.id, decrypt: true, keys: { passphrase: PASSPHRASE } })
      expect(await writeStreamTo(d.body!, fd)).toBe(dump.length)
    } finally {
      fs.closeSync(fd)
    }
    expect(fs.readFileSync(out).equals(dump)).toBe(true)

    const audit = await listAudit(h.state.db, { action: 'backups.download', result: 'ok' })
    expect(audit.slice(0, 2).map((a) => a.message)).toEqual([`Downloaded ${sealed.file} (decrypted)`, `Downloaded ${sealed.file} (encrypted, as stored)`])
    expect(audit[0].input).toEqual({ id: sealed.id, decrypt: true })
  })

  it('serves ranges byte-exact across its 1 MiB reads: first byte, last byte, chunk edges, suffixes; 416 on a range past the end', async () => {
    // Larger than one read, with no repeating pattern, so that a byte from the wrong offset shows.
    const big = crypto.randomBytes((2 << 20) + 12345)
    const file = 'ranges-test.dump'
    fs.writeFileSync(path.join(dir, file), big, { mode: 0o600 })
    const target = await targetIdentity(h.target.db)
    const id = await insertUploadedBackup(h.state.db, { targetKey: target.key, targetDatabase: target.database, kind: 'full', format: 'custom', file, createdBy: 't', sizeBytes: big.length, sha256: sha(big), toolVersion: '15' })
    const MiB = 1 << 20
    const cases: [string, number, number][] = [
      ['bytes=0-0', 0, 0],
      [`bytes=${big.length - 1}-${big.length - 1}`, big.length - 1, big.length - 1],
      [`bytes=${MiB - 3}-${MiB + 2}`, MiB - 3, MiB + 2],
      [`bytes=1-${2 * MiB + 7}`, 1, 2 * MiB + 7],
      ['bytes=-1', big.length - 1, big.length - 1],
      [`bytes=-${MiB + 5}`, big.length - MiB - 5, big.length - 1],
      [`bytes=${2 * MiB}-`, 2 * MiB, big.length - 1],
      [`bytes=5-${big.length + 1000}`, 5, big.length - 1],
    ]
    for (const [range, start, end] of cases) {
      const r = await get('admin', id, { range })
      expect(r.status, range).toBe(206)
      expect(r.headers.get('content-range'), range).toBe(`bytes ${start}-${end}/${big.length}`)
      expect(r.headers.get(PASSED_LENGTH), range).toBe(String(end - start + 1))
      expect((await bytes(r)).equals(big.subarray(start, end + 1)), range).toBe(true)
    }
    const whole = await get('admin', id)
    expect(sha(await bytes(whole))).toBe(sha(big))
    for (const range of [`bytes=${big.length}-`, `bytes=${big.length + 5}-${big.length + 9}`, 'bytes=-0']) {
      const r = await get('admin', id, { range })
      expect(r.status, range).toBe(416)
      expect(r.headers.get('content-range'), range).toBe(`bytes */${big.length}`)
    }

    // The CLI's writer reads the same stream through one reused buffer: the same bytes, and each
    // range ends (a BYOB read waiting when the last bytes came once never did).
    const out = path.join(h.dataDir, 'ranges-out.dump')
    const fd = fs.openSync(out, 'w', 0o600)
    try {
      for (const [start, end] of [[0, MiB - 2], [MiB - 1, 2 * MiB], [2 * MiB + 1, big.length - 1]]) {
        const d = await openDownload(h.state.db, dir, { targetKey: target.key, id, range: `bytes=${start}-${end}` })
        expect(await writeStreamTo(d.body!, fd)).toBe(end - start + 1)
      }
    } finally {
      fs.closeSync(fd)
    }
    expect(fs.readFileSync(out).equals(big)).toBe(true)
    // A BYOB reader that asks again at once: its read waits while the last bytes come, and must end.
    const d = await openDownload(h.state.db, dir, { targetKey: target.key, id, range: `bytes=0-${2 * MiB - 1}` })
    const reader = d.body!.getReader({ mode: 'byob' })
    let got = 0
    for (let view = new Uint8Array(MiB); ; ) {
      const { done, value } = await reader.read(view)
      if (done) break
      got += value.byteLength
      view = new Uint8Array(value.buffer)
    }
    expect(got).toBe(2 * MiB)
  })
})
