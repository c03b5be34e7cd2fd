import { randomBytes } from 'node:crypto'
import { CompiledQuery, type Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { createDb } from '../db/connect'
import { connectionRisk, connectionWarnings, urlHost } from './connection-risk'
import { capabilityUrl } from './least-privilege'

const sfx = randomBytes(3).toString('hex')
const OWNER = `cr owner ${sfx}`
const MEMBER = `cr member ${sfx}`
const PLAIN = `cr plain ${sfx}`
const qi = (s: string) => `"${s.replace(/"/g, '""')}"`
const run = (db: Kysely<any>, text: string) => db.executeQuery(CompiledQuery.raw(text))

describe('connectionRisk on a real connection', () => {
  let fresh: FreshDatabase
  beforeAll(async () => {
    fresh = await freshDatabase('connrisk')
    for (const r of [OWNER, MEMBER, PLAIN]) await run(fresh.db, `create role ${qi(r)} login password 'pw-${sfx}'`)
    await run(fresh.db, `grant ${qi(OWNER)} to ${qi(MEMBER)}`)
    await run(fresh.db, `alter database ${qi(new URL(fresh.url).pathname.slice(1))} owner to ${qi(OWNER)}`)
  })
  afterAll(async () => {
    await fresh.drop()
    const admin = createDb(inject('pgAdminUrl'), { max: 1 })
    try {
      for (const r of [MEMBER, PLAIN, OWNER]) await run(admin, `drop role if exists ${qi(r)}`)
    } finally {
      await admin.destroy()
    }
  })

  async function riskAs(login: string) {
    const url = capabilityUrl(fresh.url, { login, password: `pw-${sfx}` })
    const db = createDb(url, { max: 1 })
    try {
      return await connectionRisk(db, url)
    } finally {
      await db.destroy()
    }
  }

  it('warns about a superuser, local and without SSL', async () => {
    const risk = await connectionRisk(fresh.db, fresh.url)
    expect(risk).toMatchObject({ superuser: true, databaseOwner: false, host: '127.0.0.1', local: true, ssl: false, sslMode: null })
    expect(risk.warnings.map((w) => w.code)).toEqual(['superuser'])
  })

  it("warns about the database's owner and a member of the owner's role", async () => {
    for (const login of [OWNER, MEMBER]) {
      const risk = await riskAs(login)
      expect(risk).toMatchObject({ user: login, superuser: false, databaseOwner: true })
      expect(risk.warnings.map((w) => w.code)).toEqual(['database_owner'])
    }
  })

  it('has nothing to say about a plain role on the same machine', async () => {
    expect((await riskAs(PLAIN)).warnings).toEqual([])
  })
})

describe('connection warnings', () => {
  const base = { user: 'app', superuser: false, databaseOwner: false, host: 'db.example.org', local: false, ssl: false, sslMode: null }

  it('warns about a connection to another machine without SSL, not with it', () => {
    expect(connectionWarnings(base).map((w) => w.code)).toEqual(['no_ssl_remote'])
    expect(connectionWarnings(base)[0].message).toContain('db.example.org')
    expect(connectionWarnings({ ...base, ssl: true })).toEqual([])
    expect(connectionWarnings({ ...base, superuser: true, databaseOwner: false }).map((w) => w.code)).toEqual(['superuser', 'no_ssl_remote'])
  })

  it('reads the host as libpq does: ?host= first, IPv6 without brackets', () => {
    expect(urlHost('postgres://u@db.example.org:5432/x')).toBe('db.example.org')
    expect(urlHost('postgres://u@[::1]:5432/x')).toBe('::1')
    expect(urlHost('postgres://u@localhost/x?host=/var/run/postgresql')).toBe('/var/run/postgresql')
    expect(urlHost('postgres:///x')).toBe('localhost')
  })
})
