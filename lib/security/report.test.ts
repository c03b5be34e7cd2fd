import { randomBytes } from 'node:crypto'
import { CompiledQuery, type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { createDb } from '../db/connect'
import type { SecurityFinding } from './findings'
import { securityReport } from './report'

// Roles are cluster-wide and test files share one cluster: every name carries this file's suffix.
const sfx = randomBytes(3).toString('hex')
const SUPER = `sec app; "su" ${sfx}`
const MD5 = `sec md5 ü ${sfx}`
const NOPW = `sec nopw ${sfx}`
const BYPASS = `sec bypass ${sfx}`
const PLAIN = `sec plain ${sfx}`
const SCHEMA = `Odd; "schema" ${sfx}`
const ROLES = [SUPER, MD5, NOPW, BYPASS, PLAIN]
const PLAIN_PASSWORD = 'plain-role-password-1'

const qi = (s: string) => `"${s.replace(/"/g, '""')}"`

function urlAs(url: string, user: string, password: string): string {
  const u = new URL(url)
  u.username = encodeURIComponent(user)
  u.password = encodeURIComponent(password)
  return u.toString()
}

async function run(db: Kysely<any>, text: string) {
  await db.executeQuery(CompiledQuery.raw(text))
}

describe('security report on a cluster with known problems', () => {
  let fresh: FreshDatabase

  const mine = (findings: SecurityFinding[]) =>
    findings.filter((f) => f.subject.includes(sfx))
  const one = (findings: SecurityFinding[], check: string, subject: string) => {
    const found = findings.filter((f) => f.check === check && f.subject === subject)
    expect(found, `${check} on ${subject}`).toHaveLength(1)
    return found[0]
  }

  beforeAll(async () => {
    fresh = await freshDatabase('security')
    const db = fresh.db
    await run(db, `create role ${qi(SUPER)} login superuser password 'app-password-1'`)
    await db.connection().execute(async (c) => {
      // md5 must be chosen in the same session as the CREATE ROLE that stores the password.
      await run(c, `set password_encryption = 'md5'`)
      await run(c, `create role ${qi(MD5)} login password 'md5-password-1'`)
      await run(c, `reset password_encryption`)
    })
    await run(db, `create role ${qi(NOPW)} login`)
    await run(db, `create role ${qi(BYPASS)} login bypassrls password 'bypass-password-1'`)
    await run(db, `create role ${qi(PLAIN)} login password '${PLAIN_PASSWORD}'`)
    await run(db, `create schema ${qi(SCHEMA)}`)
    await run(db, `grant create on schema ${qi(SCHEMA)} to public`)
    await sql`grant create on database ${sql.id(new URL(fresh.url).pathname.slice(1))} to public`.execute(db)
    await run(db, `create type ${qi(SCHEMA)}."My Type" as enum ('a', 'b')`)
    await run(db, `create function ${qi(SCHEMA)}."f ü"(a integer, b ${qi(SCHEMA)}."My Type") returns integer
      language sql security definer as 'select a'`)
    await run(db, `create function ${qi(SCHEMA)}.safe() returns integer language sql security definer
      set search_path = pg_catalog, pg_temp as 'select 1'`)
    await run(db, `create table ${qi(SCHEMA)}."T x" (id integer)`)
    await run(db, `create policy "only one" on ${qi(SCHEMA)}."T x" using (id = 1)`)
    await run(db, `create table ${qi(SCHEMA)}.guarded (id integer)`)
    await run(db, `create policy p on ${qi(SCHEMA)}.guarded using (true)`)
    await run(db, `alter table ${qi(SCHEMA)}.guarded enable row level security`)
  })

  afterAll(async () => {
    await fresh.drop()
    const admin = createDb(inject('pgAdminUrl'), { max: 1 })
    try {
      // The database is gone with its objects; the roles are the cluster's and must go by hand.
      for (const r of ROLES) await run(admin, `drop role if exists ${qi(r)}`)
    } finally {
      await admin.destroy()
    }
  })

  it('reads roles with their attributes and password storage as a superuser', async () => {
    const report = await securityReport(fresh.db)
    expect(report.sessionUserIsSuperuser).toBe(true)
    expect(report.roles.passwordsReadable).toBe(true)
    const role = (name: string) => report.roles.roles.find((r) => r.name === name)!
    expect(role(SUPER)).toMatchObject({ superuser: true, canLogin: true, password: 'scram-sha-256', validUntil: null, connectionLimit: -1 })
    expect(role(MD5).password).toBe('md5')
    expect(role(NOPW).password).toBe('none')
    expect(role(BYPASS)).toMatchObject({ bypassRls: true, superuser: false })
    expect(report.roles.roles.find((r) => r.name === 'pg_monitor')?.predefined).toBe(true)
    expect(report.roles.roles.find((r) => r.bootstrap)?.superuser).toBe(true)
    expect(role('pg_monitor').memberOf).toEqual(expect.arrayContaining(['pg_read_all_settings', 'pg_read_all_stats', 'pg_stat_scan_tables']))
  })

  it('lists privileges as a grid, PUBLIC rights, definer functions and row security', async () => {
    const report = await securityReport(fresh.db)
    const schemaRow = report.schemaPrivileges.rows.find((r) => r.name === SCHEMA)!
    expect(schemaRow.grants.PUBLIC.map((p) => p.type)).toEqual(['CREATE'])
    expect(report.schemaPrivileges.grantees[0]).toBe('PUBLIC')
    const table = report.tablePrivileges.rows.find((r) => r.schema === SCHEMA && r.name === 'T x')!
    expect(table.kind).toBe('table')
    expect(table.grants[table.owner].map((p) => p.type)).toEqual(
      expect.arrayContaining(['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']),
    )
    expect(report.publicRights.schemas).toContainEqual({ schema: SCHEMA, owner: table.owner, privileges: ['CREATE'] })
    expect(report.publicRights.database.privileges).toEqual(['CONNECT', 'CREATE', 'TEMPORARY'])
    const definers = report.definerFunctions.filter((f) => f.schema === SCHEMA)
    expect(definers.map((f) => [f.signature, f.searchPath])).toEqual([
      ['f ü(a integer, b "' + SCHEMA.replace(/"/g, '""') + '"."My Type")', null],
      ['safe()', 'pg_catalog, pg_temp'],
    ])
    const tables = report.rowSecurity.filter((t) => t.schema === SCHEMA).map((t) => [t.table, t.enabled, t.policies.map((p) => p.name)])
    expect(tables).toHaveLength(2)
    expect(tables).toEqual(expect.arrayContaining([['guarded', true, ['p']], ['T x', false, ['only one']]]))
    expect(report.settings.passwordEncryption).toBe('scram-sha-256')
    // ssl.test.ts turns SSL on for a while; this client never asks for it.
    expect(report.connections.find((c) => c.current)).toMatchObject({ ssl: false, remote: false, superuser: true })
    expect(report.hba.readable).toBe(true)
    if (report.hba.readable) expect(report.hba.rules.some((r) => r.type === 'host' && r.method === 'scram-sha-256')).toBe(true)
  })

  it('finds each seeded problem with the exact SQL to fix it, and the SQL makes it go away', async () => {
    const before = await securityReport(fresh.db)
    const superuser = one(before.findings, 'superuser_login', SUPER)
    expect(superuser).toMatchObject({ severity: 'high', fix: `ALTER ROLE "sec app; ""su"" ${sfx}" NOSUPERUSER;` })
    const md5 = one(before.findings, 'md5_password', MD5)
    expect(md5.fix).toMatch(new RegExp(`^ALTER ROLE "sec md5 ü ${sfx}" PASSWORD 'SCRAM-SHA-256\\$4096:[A-Za-z0-9+/=]+\\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+';$`))
    expect(md5.fix).not.toContain(md5.newPassword)
    const nopw = one(before.findings, 'login_without_password', NOPW)
    const bypass = one(before.findings, 'bypassrls_no_expiry', BYPASS)
    expect(bypass.fix).toBe(`ALTER ROLE "sec bypass ${sfx}" NOBYPASSRLS;`)
    const quotedSchema = qi(SCHEMA)
    const publicCreate = one(before.findings, 'public_create_schema', SCHEMA)
    expect(publicCreate).toMatchObject({ severity: 'high', fix: `REVOKE CREATE ON SCHEMA ${quotedSchema} FROM PUBLIC;` })
    const definer = before.findings.find((f) => f.check === 'definer_without_search_path' && f.subject.startsWith(SCHEMA))!
    expect(definer).toMatchObject({
      severity: 'critical',
      fix: `ALTER ROUTINE ${quotedSchema}."f ü"("pg_catalog"."int4", ${quotedSchema}."My Type") SET search_path = ${quotedSchema}, pg_temp;`,
    })
    const dbName = new URL(fresh.url).pathname.slice(1)
    const databaseCreate = one(before.findings, 'public_create_database', dbName)
    expect(databaseCreate.fix).toBe(`REVOKE CREATE ON DATABASE "${dbName}" FROM PUBLIC;`)
    const rls = one(before.findings, 'rls_policies_disabled', `${SCHEMA}.T x`)
    expect(rls.fix).toBe(`ALTER TABLE ${quotedSchema}."T x" ENABLE ROW LEVEL SECURITY;`)
    // The function with a search_path and the table with RLS on are not findings.
    expect(mine(before.findings).map((f) => f.check).sort()).toEqual([
      'bypassrls_no_expiry',
      'definer_without_search_path',
      'login_without_password',
      'md5_password',
      'public_create_schema',
      'rls_policies_disabled',
      'superuser_login',
    ])

    for (const f of [superuser, md5, nopw, bypass, publicCreate, databaseCreate, definer, rls]) {
      expect(f.fixStatements).toEqual([f.fix])
      await run(fresh.db, f.fix!)
    }

    const after = await securityReport(fresh.db)
    expect(mine(after.findings)).toEqual([])
    expect(after.findings.filter((f) => f.check === 'public_create_database')).toEqual([])
    expect(after.publicRights.database.privileges).toEqual(['CONNECT', 'TEMPORARY'])
    const role = (name: string) => after.roles.roles.find((r) => r.name === name)!
    expect(role(MD5).password).toBe('scram-sha-256')
    expect(role(NOPW).password).toBe('scram-sha-256')
    expect(after.definerFunctions.find((f) => f.schema === SCHEMA && f.name === 'f ü')?.searchPath).toBe(`${quotedSchema}, pg_temp`)

    // The generated passwords are the ones the fixes set.
    for (const [name, password] of [[MD5, md5.newPassword!], [NOPW, nopw.newPassword!]]) {
      const asRole = createDb(urlAs(fresh.url, name, password), { max: 1 })
      try {
        const { rows } = await sql<{ who: string }>`select session_user::text as who`.execute(asRole)
        expect(rows[0].who).toBe(name)
      } finally {
        await asRole.destroy()
      }
    }
  })

  it('degrades without superuser: passwords unknown, pg_hba unreadable, everything else still read', async () => {
    await run(fresh.db, `grant create on schema ${qi(SCHEMA)} to public`)
    const plain = createDb(urlAs(fresh.url, PLAIN, PLAIN_PASSWORD), { max: 2 })
    try {
      const report = await securityReport(plain)
      expect(report.sessionUser).toBe(PLAIN)
      expect(report.sessionUserIsSuperuser).toBe(false)
      expect(report.roles.passwordsReadable).toBe(false)
      expect(new Set(report.roles.roles.map((r) => r.password))).toEqual(new Set(['unknown']))
      expect(report.hba).toEqual({ readable: false, reason: 'pg_hba_file_rules can only be read by a superuser' })
      expect(report.notes.length).toBeGreaterThanOrEqual(2)
      expect(mine(report.findings).map((f) => f.check)).toEqual(['public_create_schema'])
      expect(report.findings.some((f) => f.check === 'md5_password' || f.check === 'trust_remote')).toBe(false)
    } finally {
      await plain.destroy()
    }
  })
})
