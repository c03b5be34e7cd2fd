import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ActionHarness, openActionHarness } from '../../../../../test/action-harness'
import { PG_BIN_DIR } from '../../../../../test/backup-fixture'
import type { Role } from '@/lib/auth/permissions'
import { listAudit } from '@/lib/audit/audit-log'
import { type BackupResult, createBackup } from '@/lib/backups/create-backup'
import { buildDemoDatabase } from '@/lib/demo/prepare-demo'
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

  it('serves an encrypted backup as stored or decrypted, the choice in the audit log', async () => {
    const stored = await get('admin', sealed.id)
    expect(stored.headers.get('content-disposition')).toBe(`attachment; filename="${sealed.file}"`)
    expect(sha(await bytes(stored))).toBe(sealed.sha256)

    const open = await get('admin', sealed.id, { decrypt: true })
    expect(open.status).toBe(200)
    expect(open.headers.get('content-disposition')).toBe(`attachment; filename="${sealed.file.replace(/\.age$/, '')}"`)
    const dump = await bytes(open)
    expect(dump.subarray(0, 5).toString()).toBe('PGDMP')
    expect(dump.length).toBe(Number(open.headers.get('content-length')))
    // The decrypted bytes are a dump of the same database as the unencrypted backup: same size within pg_dump's timestamps.
    expect(Math.abs(dump.length - plain.sizeBytes)).toBeLessThan(200)

    const audit = await listAudit(h.state.db, { action: 'backups.download', result: 'ok' })
    expect(audit.slice(0, 2).map((a) => a.message)).toEqual([`Downloaded ${sealed.file} (decrypted)`, `Downloaded ${sealed.file} (encrypted, as stored)`])
    expect(audit[0].input).toEqual({ id: sealed.id, decrypt: true })
  })
})
