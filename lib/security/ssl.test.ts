import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { CompiledQuery, type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createDb } from '../db/connect'
import { connectionRisk } from './connection-risk'
import { securityReport } from './report'

/**
 * SSL on the test cluster for real: a throwaway self-signed certificate, the ssl finding's own fix,
 * and a client that asks for SSL. The cluster is shared with other test files, whose clients never
 * ask for SSL, so turning it on for a while changes nothing for them; it is turned off at the end.
 */
describe('SSL: the ssl finding, its fix, and connections seen encrypted', () => {
  let admin: Kysely<any>
  let certDir: string

  const run = (db: Kysely<any>, text: string) => db.executeQuery(CompiledQuery.raw(text))

  async function sslSetting(): Promise<string> {
    const probe = createDb(inject('pgAdminUrl'), { max: 1 })
    try {
      return (await sql<{ ssl: string }>`select current_setting('ssl') as ssl`.execute(probe)).rows[0].ssl
    } finally {
      await probe.destroy()
    }
  }

  async function waitForSsl(want: string) {
    // A reload reaches new sessions once the postmaster has read the files again.
    for (let i = 0; i < 50 && (await sslSetting()) !== want; i++) await new Promise((r) => setTimeout(r, 100))
    expect(await sslSetting()).toBe(want)
  }

  beforeAll(async () => {
    admin = createDb(inject('pgAdminUrl'), { max: 1 })
    const { rows } = await sql<{ dir: string }>`select current_setting('data_directory') as dir`.execute(admin)
    // The server (the postgres OS user when tests run as root) must own its key, mode 0600.
    const owner = fs.statSync(rows[0].dir)
    certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbadmin-ssl-'))
    const crt = path.join(certDir, 'server.crt')
    const key = path.join(certDir, 'server.key')
    await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost', '-keyout', key, '-out', crt])
    fs.chmodSync(key, 0o600)
    for (const p of [certDir, crt, key]) fs.chownSync(p, owner.uid, owner.gid)
    await sql`alter system set ssl_cert_file = ${sql.lit(crt)}`.execute(admin)
    await sql`alter system set ssl_key_file = ${sql.lit(key)}`.execute(admin)
  })

  afterAll(async () => {
    for (const setting of ['ssl', 'ssl_cert_file', 'ssl_key_file']) await run(admin, `alter system reset ${setting}`)
    await run(admin, 'select pg_reload_conf()')
    await waitForSsl('off')
    await admin.destroy()
    fs.rmSync(certDir, { recursive: true, force: true })
  })

  it('finds SSL off, and running the fix statements one by one turns it on', async () => {
    const before = await securityReport(admin)
    const finding = before.findings.find((f) => f.check === 'ssl_off')!
    expect(finding.fixStatements).toEqual(['ALTER SYSTEM SET ssl = on;', 'SELECT pg_reload_conf();'])
    for (const statement of finding.fixStatements) await run(admin, statement)
    await waitForSsl('on')

    const url = new URL(inject('pgAdminUrl'))
    url.searchParams.set('sslmode', 'no-verify')
    const encrypted = createDb(url.toString(), { max: 1 })
    try {
      const after = await securityReport(encrypted)
      expect(after.settings.ssl).toBe(true)
      expect(after.findings.filter((f) => f.check === 'ssl_off')).toEqual([])
      const mine = after.connections.find((c) => c.current)!
      expect(mine.ssl).toBe(true)
      expect(mine.sslVersion).toMatch(/^TLSv1\.[23]$/)
      // Other sessions of the run connect without SSL, and the report says which.
      expect(after.connections.some((c) => !c.current && c.ssl === false)).toBe(true)
      const risk = await connectionRisk(encrypted, url.toString())
      expect(risk).toMatchObject({ ssl: true, sslMode: 'no-verify', local: true })
    } finally {
      await encrypted.destroy()
    }
  })
})
