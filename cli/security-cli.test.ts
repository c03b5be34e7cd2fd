import { randomBytes } from 'node:crypto'
import { CompiledQuery, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createDb } from '../lib/db/connect'
import { type FreshDatabase, freshDatabase } from '../test/fresh-db'
import { runDbadmin } from '../test/run-command'

// `dbadmin security`: the page's report for scripts and CI, exit codes by severity.
const sfx = randomBytes(3).toString('hex')
const MD5 = `cli md5 ${sfx}`
const SCHEMA = 'ünïcode schema'

let target: FreshDatabase
let state: FreshDatabase
const env = () => ({ DATABASE_URL: target.url, STATE_DATABASE_URL: state.url })

beforeAll(async () => {
  ;[target, state] = await Promise.all([freshDatabase('cli_sec_target'), freshDatabase('cli_sec_state')])
  const run = (text: string) => target.db.executeQuery(CompiledQuery.raw(text))
  await target.db.connection().execute(async (c) => {
    await c.executeQuery(CompiledQuery.raw(`set password_encryption = 'md5'`))
    await c.executeQuery(CompiledQuery.raw(`create role "${MD5}" login password 'cli-md5-password-1'`))
  })
  await run(`create schema "${SCHEMA}"`)
  await run(`grant create on schema "${SCHEMA}" to public`)
  await run(`create table "${SCHEMA}"."Order; DROP TABLE x;--" (id int)`)
})
afterAll(async () => {
  await Promise.all([target?.drop(), state?.drop()])
  const cluster = createDb(inject('pgAdminUrl'), { max: 1 })
  await sql`drop role if exists ${sql.id(MD5)}`.execute(cluster)
  await cluster.destroy()
})

describe('dbadmin security', () => {
  it('--json prints the whole report through a pipe, without the passwords fixes would set', async () => {
    const r = await runDbadmin(['security', '--json'], env())
    // stderr may tell of the state database's first migration; stdout is the report alone.
    expect(r.code).toBe(0)
    const report = JSON.parse(r.stdout)
    expect(report.database).toBe(new URL(target.url).pathname.slice(1))
    const checks = report.findings.map((f: { check: string; subject: string }) => `${f.check}:${f.subject}`)
    expect(checks).toEqual(expect.arrayContaining([`md5_password:${MD5}`, `public_create_schema:${SCHEMA}`]))
    const md5 = report.findings.find((f: { subject: string }) => f.subject === MD5)
    expect(md5.fix).toMatch(/^ALTER ROLE "cli md5 \w+" PASSWORD 'SCRAM-SHA-256\$/)
    expect(md5).not.toHaveProperty('newPassword')
    expect(report.tablePrivileges.rows.map((row: { name: string }) => row.name)).toContain('Order; DROP TABLE x;--')
    expect(report.roles.roles.find((role: { name: string }) => role.name === MD5).password).toBe('md5')
  })

  it('--fail-on exits 1 when a finding is that severe or worse, after printing the report', async () => {
    const high = await runDbadmin(['security', '--json', '--fail-on', 'high'], env())
    expect(high.code).toBe(1)
    expect(high.stderr).toMatch(/^dbadmin: \d+ findings? of severity high or worse\n$/)
    expect(JSON.parse(high.stdout).findings.some((f: { check: string }) => f.check === 'public_create_schema')).toBe(true)
    await target.db.executeQuery(CompiledQuery.raw(`revoke create on schema "${SCHEMA}" from public`))
    const text = await runDbadmin(['security', '--fail-on=medium', '--new-passwords'], env())
    expect(text.code).toBe(1)
    expect(text.stdout).toContain(`MEDIUM   Role "${MD5}" has an MD5 password`)
    expect(text.stdout).toMatch(/new password: [A-Za-z0-9]{24}\n/)
    expect(text.stdout).not.toContain(`Every role can create objects in schema "${SCHEMA}"`)
  })

  it.each([
    [['security', '--fail-on', 'severe'], '--fail-on must be one of critical, high, medium, low, not "severe"'],
    [['security', '--fail-on'], '--fail-on needs a value (--fail-on SEVERITY)'],
    [['security', '--failon', 'high'], 'unknown option --failon for "dbadmin security"; it takes [--json] [--fail-on SEVERITY] [--new-passwords]'],
  ])('%j is refused with one line and exit 2', async (argv, message) => {
    const r = await runDbadmin(argv, env())
    expect(r).toMatchObject({ code: 2, stdout: '', stderr: `dbadmin: ${message}\n` })
  })
})
