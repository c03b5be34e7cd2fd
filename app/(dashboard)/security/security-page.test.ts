import { randomBytes } from 'node:crypto'
import { CompiledQuery, type Kysely, sql } from 'kysely'
import { createElement } from 'react'
import { renderToStaticMarkup } from 'react-dom/server'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { type ActionHarness, openActionHarness } from '../../../test/action-harness'
import type { GuardedSpec } from '@/lib/auth/guarded-run'
import { listAudit } from '@/lib/audit/audit-log'
import { createDb } from '@/lib/db/connect'
import type { SecurityFinding } from '@/lib/security/findings'
import type { SetupScriptBundle } from '@/lib/security/setup-logins'

// The Security page's loaders and sections on a real server set up with known problems, and its
// one action as every role. Roles are cluster-wide and files share the cluster: names carry a suffix.
const sfx = randomBytes(3).toString('hex')
const SUPER = `sp super ${sfx}`
const MD5 = `sp md5 ${sfx}`
const SCHEMA = 'ünïcode schema'
const TABLE = 'Order; DROP TABLE x;--'
const qi = (s: string) => `"${s.replace(/"/g, '""')}"`

async function run(db: Kysely<any>, text: string) {
  await db.executeQuery(CompiledQuery.raw(text))
}

async function prepare(db: Kysely<any>) {
  await run(db, `create role ${qi(SUPER)} login superuser password 'sp-super-password-1'`)
  await db.connection().execute(async (c) => {
    await run(c, `set password_encryption = 'md5'`)
    await run(c, `create role ${qi(MD5)} login password 'sp-md5-password-1'`)
  })
  await run(db, `create schema ${qi(SCHEMA)}`)
  await run(db, `grant create on schema ${qi(SCHEMA)} to public`)
  await run(db, `create table ${qi(SCHEMA)}.${qi(TABLE)} (id integer)`)
  await run(db, `grant select on ${qi(SCHEMA)}.${qi(TABLE)} to ${qi(MD5)}`)
  await run(db, `create policy "own rows" on ${qi(SCHEMA)}.${qi(TABLE)} using (id = 1)`)
  await run(db, `create function ${qi(SCHEMA)}."definer ü"() returns integer language sql security definer as 'select 1'`)
  // Enough relations for paging, and two names that tell a literal _ from LIKE's wildcard.
  await run(db, `create schema many`)
  await run(db, `do $$ begin for i in 1..230 loop execute format('create table many.%I (id int)', 't' || lpad(i::text, 3, '0')); end loop; end $$`)
  await run(db, `create table many.a_b (id int)`)
  await run(db, `create table many.axb (id int)`)
}

/** The text a reader sees: tags dropped, entities decoded. */
function textOf(html: string): string {
  return html
    .replace(/<[^>]+>/g, '')
    .replace(/&quot;/g, '"')
    .replace(/&#x27;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
}

let h: ActionHarness
let generate: GuardedSpec<any, SetupScriptBundle>
let apply: GuardedSpec<any, SetupScriptBundle>
const PREFIX = `sp_${sfx}`

beforeAll(async () => {
  h = await openActionHarness('secpage', prepare)
  const { wrappedSpec } = await import('@/lib/auth/action')
  const actions = await import('./actions')
  generate = wrappedSpec(actions.generateSetupScriptAction)!
  apply = wrappedSpec(actions.applySetupScriptAction)!
})
afterAll(async () => {
  await h?.close()
  const cluster = createDb(inject('pgAdminUrl'), { max: 1 })
  try {
    const { setupLogins } = await import('@/lib/security/setup-logins')
    const made = setupLogins(PREFIX).flatMap((l) => [l.login, l.role])
    for (const r of [SUPER, MD5, ...made]) await sql`drop role if exists ${sql.id(r)}`.execute(cluster)
  } finally {
    await cluster.destroy()
  }
})

describe('the Security page on a target with known problems', () => {
  it('finds each seeded problem and shows it with its fix SQL, odd names as they are', async () => {
    const { loadOverview } = await import('./_components/security-data')
    const { FindingsList } = await import('./_components/findings-list')
    const overview = await loadOverview()
    const one = (check: string, subject: string): SecurityFinding => {
      const found = overview.findings.filter((f) => f.check === check && f.subject === subject)
      expect(found, `${check} on ${subject}`).toHaveLength(1)
      return found[0]
    }
    const findings = [
      one('superuser_login', SUPER),
      one('md5_password', MD5),
      one('public_create_schema', SCHEMA),
      one('definer_without_search_path', `${SCHEMA}.definer ü()`),
      one('rls_policies_disabled', `${SCHEMA}.${TABLE}`),
    ]
    expect(findings.map((f) => f.fix)).toEqual([
      `ALTER ROLE ${qi(SUPER)} NOSUPERUSER;`,
      expect.stringMatching(new RegExp(`^ALTER ROLE ${qi(MD5)} PASSWORD 'SCRAM-SHA-256\\$`)),
      `REVOKE CREATE ON SCHEMA ${qi(SCHEMA)} FROM PUBLIC;`,
      `ALTER ROUTINE ${qi(SCHEMA)}."definer ü"() SET search_path = ${qi(SCHEMA)}, pg_temp;`,
      `ALTER TABLE ${qi(SCHEMA)}.${qi(TABLE)} ENABLE ROW LEVEL SECURITY;`,
    ])

    const html = renderToStaticMarkup(createElement(FindingsList, { findings: overview.findings, notes: overview.notes }))
    const text = textOf(html)
    for (const f of findings) {
      expect(text).toContain(f.title)
      expect(text).toContain(f.why)
      expect(text).toContain(f.fix!)
      expect(html).toContain(`data-check="${f.check}"`)
    }
    expect(text).toContain(`Table "${SCHEMA}"."${TABLE}" has row-level security policies that are not applied`)
    // The md5 fix's new password is shown with it; the SQL holds only its verifier.
    const md5 = findings[1]
    expect(text).toContain(md5.newPassword!)
    expect(md5.fix).not.toContain(md5.newPassword!)
    // A name never becomes markup: every tag is one the component writes.
    expect(html).not.toMatch(/<(?!\/?(ul|li|div|h3|span|p|pre|code|button|details|summary)[ >])/)
  })

  it('renders roles, PUBLIC rights, definers and RLS tables with the odd names', async () => {
    const { loadOverview } = await import('./_components/security-data')
    const { RolesTable } = await import('./_components/roles-table')
    const { DefinerTable, PublicRightsTable, RowSecurityTables } = await import('./_components/catalog-tables')
    const { ServerSettingsCards, ConnectionsTable } = await import('./_components/transport-section')
    const { HbaTable } = await import('./_components/hba-table')
    const o = await loadOverview()
    const roles = renderToStaticMarkup(createElement(RolesTable, { roles: o.roles.roles }))
    expect(textOf(roles)).toContain(SUPER)
    const superRow = roles.match(new RegExp(`<tr data-role="${SUPER}">.*?</tr>`))![0]
    expect(textOf(superRow)).toContain('superuser')
    expect(textOf(superRow)).toContain('SCRAM-SHA-256')
    const md5Row = roles.match(new RegExp(`<tr data-role="${MD5}">.*?</tr>`))![0]
    expect(textOf(md5Row)).toContain('MD5')
    expect(roles).not.toContain('data-role="pg_monitor"')

    const rights = textOf(renderToStaticMarkup(createElement(PublicRightsTable, { rights: o.publicRights })))
    expect(rights).toContain(`schema${SCHEMA}`)
    expect(rights).toContain('CREATE')
    const definers = renderToStaticMarkup(createElement(DefinerTable, { functions: o.definerFunctions }))
    expect(textOf(definers)).toContain(`${SCHEMA}.definer ü()`)
    expect(textOf(definers)).toContain('caller’s (not fixed)')
    const rls = renderToStaticMarkup(createElement(RowSecurityTables, { tables: o.rowSecurity }))
    expect(rls).toContain(`data-table="${SCHEMA}.${TABLE}" data-enabled="false"`)
    expect(textOf(rls)).toContain('own rows ALL to PUBLIC')

    const settings = textOf(renderToStaticMarkup(createElement(ServerSettingsCards, { settings: o.settings })))
    expect(settings).toContain('scram-sha-256')
    const sessions = renderToStaticMarkup(createElement(ConnectionsTable, { connections: o.connections }))
    expect(sessions).toMatch(/data-ssl="(true|false)"/)
    expect(textOf(sessions)).toContain('this page')
    // Read as a superuser: the rules are there.
    const hba = renderToStaticMarkup(createElement(HbaTable, { hba: o.hba }))
    expect(hba).toContain('data-testid="security-hba"')
    expect(textOf(renderToStaticMarkup(createElement(HbaTable, { hba: { readable: false, reason: 'pg_hba_file_rules can only be read by a superuser' } })))).toContain(
      'not shown: pg_hba_file_rules can only be read by a superuser',
    )
  })

  it('pages the grid on the server and filters it by schema and literal name', async () => {
    const { loadGrid } = await import('./_components/security-data')
    const second = await loadGrid({ schema: 'many', limit: 100, offset: 100 })
    expect(second.page.total).toBe(232)
    expect(second.page.grid.rows.map((r) => r.name)).toEqual(Array.from({ length: 100 }, (_, i) => `t${String(i + 99).padStart(3, '0')}`))
    expect(second.schemas).toEqual(expect.arrayContaining([{ schema: 'many', relations: 232 }, { schema: SCHEMA, relations: 1 }]))
    const literal = await loadGrid({ schema: 'many', name: 'A_B', limit: 100, offset: 0 })
    expect(literal.page.grid.rows.map((r) => r.name)).toEqual(['a_b'])
    expect((await loadGrid({ name: '%', limit: 10, offset: 0 })).page.total).toBe(0)

    const { TableGridSection } = await import('./_components/table-grid-section')
    const element = await TableGridSection({ query: { schema: SCHEMA, page: 1 } })
    const html = renderToStaticMarkup(element)
    const row = html.match(/<tr data-object="ünïcode schema\.Order; DROP TABLE x;--">.*?<\/tr>/)
    expect(row, 'the odd table is a row of the grid').not.toBeNull()
    expect(html).toContain(`data-grantee="${MD5}"`)
    expect(html).toContain('title="SELECT"')
    expect(textOf(html)).toContain('1–1 of 1 objects')

    const many = renderToStaticMarkup(await TableGridSection({ query: { schema: 'many', page: 2 } }))
    expect(textOf(many)).toContain('101–200 of 232 objects')
    expect(many).toContain('href="/security?schema=many#table-privileges"')
    expect(many).toContain('href="/security?schema=many&amp;page=3#table-privileges"')
  })
})

describe('generating the least-privilege script', () => {
  it('gives an admin the script and the settings with new passwords, recorded without them', async () => {
    const r = await h.as('admin', generate, {})
    expect(r.ok).toBe(true)
    const bundle = r.ok ? r.data! : null!
    expect(bundle.script).toMatch(/^-- Least-privilege roles for DoR DB Admin/)
    expect(bundle.script).toContain('BEGIN;')
    expect(bundle.script).toMatch(/(CREATE|ALTER) ROLE "dbadmin_monitoring" WITH/)
    const lines = bundle.environment.trim().split('\n')
    expect(lines.map((l) => l.split('=')[0])).toEqual([
      'DATABASE_URL',
      'MONITOR_DATABASE_URL',
      'RULE_READER_DATABASE_URL',
      'MIGRATOR_DATABASE_URL',
      'BACKUP_DATABASE_URL',
      'MAINTENANCE_DATABASE_URL',
      'SIGNAL_DATABASE_URL',
    ])
    const passwords = lines.map((l) => decodeURIComponent(new URL(l.replace(/^[A-Z_]+='|'$/g, '')).password))
    for (const p of passwords) {
      expect(p).toMatch(/^[A-Za-z0-9]{24}$/)
      expect(bundle.script).not.toContain(p)
    }
    const [entry] = await listAudit(h.state.db, { action: 'security.setup_script' })
    expect(entry).toMatchObject({ result: 'ok', actorEmail: 'admin@test.local' })
    expect(JSON.stringify(entry)).not.toContain(passwords[1])
  })

  it.each(['operator', 'viewer'] as const)('refuses a %s, and records the refusal', async (role) => {
    const r = await h.as(role, generate, {})
    expect(r).toMatchObject({ ok: false, code: 'forbidden' })
    expect('data' in r && r.data).toBeFalsy()
    const denied = await listAudit(h.state.db, { action: 'security.setup_script', result: 'denied' })
    expect(denied.map((e) => e.actorEmail)).toContain(`${role}@test.local`)
  })
})

// Last in the file: applying makes the new migration role the owner of everything in the target.
describe('applying the least-privilege script', () => {
  const madeRoles = async () => {
    const { rows } = await sql<{ name: string }>`select rolname::text as name from pg_roles where rolname like ${PREFIX + '%'} order by 1`.execute(h.target.db)
    return rows.map((r) => r.name)
  }

  it.each(['operator', 'viewer'] as const)('refuses a %s and changes nothing', async (role) => {
    const r = await h.as(role, apply, { prefix: PREFIX })
    expect(r).toMatchObject({ ok: false, code: 'forbidden' })
    expect(await madeRoles()).toEqual([])
  })

  it('refuses a bad prefix with a clear error and changes nothing', async () => {
    const r = await h.as('admin', apply, { prefix: 'Bad"; DROP ROLE x;--' })
    expect(r).toMatchObject({ ok: false, code: 'invalid_input' })
    expect(!r.ok && r.fieldErrors?.prefix).toMatch(/lower-case letters/)
    expect(await madeRoles()).toEqual([])
  })

  it('runs it for an admin as a superuser DATABASE_URL: the logins work and own what they should', async () => {
    const r = await h.as('admin', apply, { prefix: PREFIX })
    expect(r).toMatchObject({ ok: true })
    const bundle = r.ok ? r.data! : null!
    expect(await madeRoles()).toHaveLength(12)
    const { rows } = await sql<{ owner: string }>`
      select pg_get_userbyid(c.relowner)::text as owner from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ${SCHEMA} and c.relname = ${TABLE}`.execute(h.target.db)
    expect(rows[0].owner).toBe(`${PREFIX}_migration`)
    const monitor = /^MONITOR_DATABASE_URL='(.*)'$/m.exec(bundle.environment)![1]
    const asMonitor = createDb(monitor, { max: 1 })
    try {
      const { rows: me } = await sql<{ who: string }>`select session_user::text as who`.execute(asMonitor)
      expect(me[0].who).toBe(`${PREFIX}_monitor`)
      await expect(sql`select * from ${sql.id(SCHEMA, TABLE)}`.execute(asMonitor)).rejects.toThrow(/permission denied/)
    } finally {
      await asMonitor.destroy()
    }
    const [entry] = await listAudit(h.state.db, { action: 'security.setup_apply', result: 'ok' })
    expect(entry).toMatchObject({ actorEmail: 'admin@test.local', target: bundle.database })
    expect(JSON.stringify(entry)).not.toContain(new URL(monitor).password)
  })
})
