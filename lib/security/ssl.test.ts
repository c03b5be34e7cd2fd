import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { CompiledQuery, type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { runTool } from '../backups/tool-process'
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
    // A self-signed certificate is its own CA: clients given it as sslrootcert can verify the server.
    await promisify(execFile)('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost', '-keyout', key, '-out', crt,
    ])
    // Another CA, that did not sign the server's certificate.
    await promisify(execFile)('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=other-ca',
      '-keyout', path.join(certDir, 'other.key'), '-out', path.join(certDir, 'other.crt'),
    ])
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

  /** The test cluster's URL as `host`, with SSL parameters. */
  function sslUrl(host: string, params: Record<string, string>): string {
    const url = new URL(inject('pgAdminUrl'))
    url.hostname = host
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v)
    return url.toString()
  }

  async function connects(url: string): Promise<string> {
    const db = createDb(url, { max: 1 })
    try {
      const { rows } = await sql<{ ssl: boolean }>`select ssl from pg_stat_ssl where pid = pg_backend_pid()`.execute(db)
      return rows[0].ssl ? 'ssl' : 'plain'
    } catch (e) {
      return `refused: ${(e as Error).message}`
    } finally {
      await db.destroy()
    }
  }

  async function dumps(url: string): Promise<string> {
    const file = path.join(certDir, `dump-${Math.random().toString(36).slice(2)}.dump`)
    // As backups run pg_dump (lib/backups/tool-process.ts): the same environment from the URL.
    const exit = await runTool('/usr/lib/postgresql/15/bin/pg_dump', ['--format=custom', '--no-password', `--file=${file}`], { url })
    return exit.code === 0 ? 'dumped' : `refused: pg_dump failed: ${exit.stderr.trim()}`
  }

  it('sslmode=verify-full with the CA file in sslrootcert: the dashboard and pg_dump verify the server, and refuse a wrong CA or host', async () => {
    await waitForSsl('on')
    const crt = path.join(certDir, 'server.crt')
    const good = sslUrl('localhost', { sslmode: 'verify-full', sslrootcert: crt })
    expect(await connects(good)).toBe('ssl')
    expect(await dumps(good)).toBe('dumped')
    const db = createDb(good, { max: 1 })
    try {
      expect(await connectionRisk(db, good)).toMatchObject({ ssl: true, sslMode: 'verify-full', local: true, host: 'localhost' })
    } finally {
      await db.destroy()
    }

    // The server's certificate is not signed by this CA.
    const wrongCa = sslUrl('localhost', { sslmode: 'verify-full', sslrootcert: path.join(certDir, 'other.crt') })
    expect(await connects(wrongCa)).toMatch(/^refused: .*(self[- ]signed|unable to verify|certificate)/i)
    expect(await dumps(wrongCa)).toMatch(/^refused: pg_dump failed: .*certificate verify failed/)
    // The certificate names localhost, not 127.0.0.1.
    const wrongHost = sslUrl('127.0.0.1', { sslmode: 'verify-full', sslrootcert: crt })
    expect(await connects(wrongHost)).toMatch(/^refused: .*(IP: 127\.0\.0\.1|does not match|altnames)/i)
    expect(await dumps(wrongHost)).toMatch(/^refused: pg_dump failed: .*(does not match host name|server certificate)/)
  })
})
