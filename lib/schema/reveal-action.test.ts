import { randomBytes } from 'node:crypto'
import { type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { freshStateDb } from '../../test/state-db'
import { listAudit } from '../audit/audit-log'
import { runGuarded } from '../auth/guarded-run'
import type { Role } from '../auth/permissions'
import { createDb } from '../db/connect'
import { createOddNames, ODD } from './odd-names-fixture'
import type { Preview } from './preview'
import { revealPreviewSpec } from './reveal-action'

let target: FreshDatabase
let state: Awaited<ReturnType<typeof freshStateDb>>
const monitorRole = `monitor_${randomBytes(3).toString('hex')}`
let monitorDb: Kysely<any> | undefined

beforeAll(async () => {
  ;[target, state] = await Promise.all([freshDatabase('reveal'), freshStateDb()])
  await createOddNames(target.db)
  await sql`alter table ${sql.id(ODD.schema, ODD.table)} add column ${sql.id('api key')} text`.execute(target.db)
  await sql`insert into ${sql.id(ODD.schema, ODD.table)} (${sql.id(ODD.column)}, ${sql.id('api key')}) values (3.5, 'k-123'), (4, null)`.execute(
    target.db,
  )
  await sql`create role ${sql.id(monitorRole)} login password 'monitor-password'`.execute(target.db)
  await sql`grant usage on schema ${sql.id(ODD.schema)} to ${sql.id(monitorRole)}`.execute(target.db)
  const url = new URL(target.url)
  url.username = monitorRole
  url.password = 'monitor-password'
  monitorDb = createDb(url.toString(), { max: 1 })
})
afterAll(async () => {
  await monitorDb?.destroy()
  await target?.drop()
  await sql`drop role if exists ${sql.id(monitorRole)}`.execute(state.db).catch(() => {})
  await state?.drop()
})

function reveal(role: Role, input: unknown, db: () => Kysely<any> = () => target.db) {
  return runGuarded(revealPreviewSpec(db), {
    stateDb: state.db,
    session: { userId: state.users[role].id, sessionVersion: 1 },
    clientIp: '192.0.2.9',
    rawInput: input,
  })
}

describe('schema.reveal_values', () => {
  const input = { schema: ODD.schema, name: ODD.table }

  it('refuses viewers and operators, and audits the refusal', async () => {
    for (const role of ['viewer', 'operator'] as const) {
      const r = await reveal(role, input)
      expect(r).toMatchObject({ ok: false, code: 'forbidden' })
      expect(JSON.stringify(r)).not.toContain('k-123')
    }
    const audit = await listAudit(state.db, { action: 'schema.reveal_values', result: 'denied' })
    expect(audit.map((a) => a.actorEmail).sort()).toEqual(['operator@test.local', 'viewer@test.local'])
  })

  it('gives an admin the real values of an odd-named table, and audits who and which table', async () => {
    const r = await reveal('admin', input)
    expect(r).toMatchObject({ ok: true, message: 'Values revealed; this was recorded in the audit log.' })
    const preview = (r as { data: Preview }).data
    const key = preview.columns.findIndex((c) => c.name === 'api key')
    expect(preview.columns[key].masked).toBe(true)
    expect(preview.rows.map((row) => row[key])).toEqual([{ text: 'k-123' }, null])
    const [entry] = await listAudit(state.db, { action: 'schema.reveal_values', result: 'ok' })
    expect(entry).toMatchObject({ actorEmail: 'admin@test.local', target: `${ODD.schema}.${ODD.table}` })
    expect(JSON.stringify(entry)).not.toContain('k-123')
  })

  it('says clearly when the table does not exist or the input is bad', async () => {
    expect(await reveal('admin', { schema: ODD.schema, name: 'nope' })).toMatchObject({ ok: false, code: 'not_found' })
    expect(await reveal('admin', { schema: '', name: 'x' })).toMatchObject({ ok: false, code: 'invalid_input' })
  })

  it('explains when the database role may not read the table', async () => {
    const r = await reveal('admin', input, () => monitorDb!)
    expect(r).toMatchObject({ ok: false, code: 'forbidden' })
    expect(r.message).toContain('cannot read rows of this table')
  })
})
