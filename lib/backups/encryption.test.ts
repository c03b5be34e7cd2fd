import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import { Readable } from 'node:stream'
import { buffer } from 'node:stream/consumers'
import { Decrypter, Encrypter, generateIdentity, identityToRecipient } from 'age-encryption'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BackupFixture, backupFixture, databaseExists, rowCounts } from '../../test/backup-fixture'
import { openAgeFile, startAgeFile } from './age-header'
import { CHUNK, decryptStream, encryptStream, SEALED_CHUNK } from './age-stream'
import { decryptedFile } from './archive-input'
import { createBackup } from './create-backup'
import { openDownload } from './download'
import { restoreBackup } from './restore'
import { verifyBackup } from './verify'

const webBody = (b: ReadableStream<Uint8Array> | null) => Readable.fromWeb(b! as import('node:stream/web').ReadableStream<Uint8Array>)

async function sealed(plain: Buffer, keys: Parameters<typeof startAgeFile>[0]): Promise<Buffer> {
  const s = await startAgeFile(keys)
  return Buffer.concat([s.prefix, await buffer(Readable.from([plain]).pipe(encryptStream(s.key)))])
}

async function opened(file: Buffer, keys: Parameters<typeof openAgeFile>[1]): Promise<Buffer> {
  const o = await openAgeFile(file, keys)
  return buffer(Readable.from([file.subarray(o.payloadStart)]).pipe(decryptStream(o.key)))
}

describe('age files written and read on node:crypto', () => {
  it('are age files: age-encryption reads ours and we read its, for recipients, at chunk edges', async () => {
    const id = await generateIdentity()
    const keys = { recipients: [await identityToRecipient(id)], identities: [id] }
    for (const size of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 17]) {
      const plain = randomBytes(size)
      const ours = await sealed(plain, keys)
      const d = new Decrypter()
      d.addIdentity(id)
      expect(Buffer.from(await d.decrypt(ours)).equals(plain)).toBe(true)
      const e = new Encrypter()
      e.addRecipient(keys.recipients[0])
      expect((await opened(Buffer.from(await e.encrypt(plain)), keys)).equals(plain)).toBe(true)
    }
  })

  it('a passphrase file is read by age-encryption too; a wrong passphrase is a clear error', async () => {
    const plain = randomBytes(1000)
    const file = await sealed(plain, { passphrase: 'correct horse battery' })
    const d = new Decrypter()
    d.addPassphrase('correct horse battery')
    expect(Buffer.from(await d.decrypt(file)).equals(plain)).toBe(true)
    await expect(opened(file, { passphrase: 'wrong horse' })).rejects.toMatchObject({ backupCode: 'decrypt_failed', message: 'Wrong passphrase: it does not open this backup.' })
    // Three scrypt derivations in pure JavaScript: seconds each, minutes on a loaded 2-core machine.
  }, 180_000)

  it('finds a changed byte, a cut at a chunk boundary and a dropped chunk', async () => {
    const id = await generateIdentity()
    const keys = { recipients: [await identityToRecipient(id)], identities: [id] }
    const file = await sealed(randomBytes(3 * CHUNK), keys)
    const start = (await openAgeFile(file, keys)).payloadStart
    const flipped = Buffer.from(file)
    flipped[start + CHUNK + 5] ^= 1
    const cut = file.subarray(0, start + 2 * SEALED_CHUNK)
    const dropped = Buffer.concat([file.subarray(0, start + SEALED_CHUNK), file.subarray(start + 2 * SEALED_CHUNK)])
    for (const bad of [flipped, cut, dropped]) await expect(opened(bad, keys)).rejects.toMatchObject({ backupCode: 'decrypt_failed' })
  })
})

describe('encrypted backups', () => {
  let f: BackupFixture
  const keys = { passphrase: 'a long test passphrase' }
  beforeAll(async () => {
    f = await backupFixture('bke')
  })
  afterAll(async () => f?.close())

  it('are stored encrypted, verified, restored and downloaded decrypted (with ranges); a wrong passphrase fails cleanly', async () => {
    // Uncompressed, so that the dump spans several age chunks and a range crosses their edges.
    const b = await createBackup(f.state.db, { ...f.common, createdBy: 't', encryption: keys, compression: 0 })
    expect(b.path.endsWith('.dump.age')).toBe(true)
    const stored = fs.readFileSync(b.path)
    expect(stored.subarray(0, 22).toString()).toBe('age-encryption.org/v1\n')
    expect(stored.includes(Buffer.from('PGDMP'))).toBe(false)

    expect(await verifyBackup(f.state.db, b.id, { ...f.common, keys })).toMatchObject({ error: null, ok: true })
    const noKey = await verifyBackup(f.state.db, b.id, f.common)
    expect(noKey).toMatchObject({ ok: true, checksum: { ok: true }, contents: { checked: false } })
    const wrong = await verifyBackup(f.state.db, b.id, { ...f.common, keys: { passphrase: 'not the passphrase' } })
    expect(wrong).toMatchObject({ ok: false, error: 'Wrong passphrase: it does not open this backup.' })

    const name = `r_enc_${Date.now().toString(36)}`
    await expect(restoreBackup(f.state.db, b.id, { ...f.common, keys: { passphrase: 'not the passphrase' }, into: { newDatabase: name }, createdBy: 't' })).rejects.toMatchObject({
      backupCode: 'decrypt_failed',
    })
    expect(await databaseExists(f.target.db, name)).toBe(false)
    f.made.push(name)
    await restoreBackup(f.state.db, b.id, { ...f.common, keys, into: { newDatabase: name }, createdBy: 't' })
    expect(await rowCounts(f.open(name))).toEqual(await rowCounts(f.target.db))

    const plain = await buffer((await decryptedFile(b.path, keys)) as Readable)
    expect(plain.subarray(0, 5).toString()).toBe('PGDMP')
    expect(plain.length).toBeGreaterThan(2 * CHUNK + 11)
    const whole = await openDownload(f.state.db, f.common.dir, { targetKey: f.common.targetKey, id: b.id, decrypt: true, keys })
    expect(whole.status).toBe(200)
    expect(whole.headers['Content-Disposition']).toBe(`attachment; filename="${b.file.replace(/\.age$/, '')}"`)
    expect(Number(whole.headers['Content-Length'])).toBe(plain.length)
    expect((await buffer(webBody(whole.body))).equals(plain)).toBe(true)
    const part = await openDownload(f.state.db, f.common.dir, { targetKey: f.common.targetKey, id: b.id, decrypt: true, keys, range: `bytes=${CHUNK - 10}-${2 * CHUNK + 10}` })
    expect(part.status).toBe(206)
    expect((await buffer(webBody(part.body))).equals(plain.subarray(CHUNK - 10, 2 * CHUNK + 11))).toBe(true)
    const raw = await openDownload(f.state.db, f.common.dir, { targetKey: f.common.targetKey, id: b.id, range: 'bytes=-100' })
    expect(raw.headers['Content-Range']).toBe(`bytes ${stored.length - 100}-${stored.length - 1}/${stored.length}`)
    expect((await buffer(webBody(raw.body))).equals(stored.subarray(-100))).toBe(true)
    expect(raw.headers['Cache-Control']).toBe('no-store')
    const beyond = await openDownload(f.state.db, f.common.dir, { targetKey: f.common.targetKey, id: b.id, range: `bytes=${stored.length}-` })
    expect(beyond).toMatchObject({ status: 416, body: null, headers: { 'Content-Range': `bytes */${stored.length}` } })
  }, 120_000)
})
