import { randomBytes } from 'node:crypto'
import { CompiledQuery, Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { freshStateDb } from '../../test/state-db'
import { listAudit } from '../audit/audit-log'
import { createDb } from '../db/connect'
import { createOddNames, ODD } from '../schema/odd-names-fixture'
import { revealPreviewSpec } from '../schema/reveal-action'
import { AUDIT_UNAVAILABLE, type GuardedSpec, runGuarded } from './guarded-run'
import type { Role } from './permissions'
import { createUserSpec } from './user-actions'

/**
 * Fail closed: a change whose audit record cannot be written does not happen. The state database
 * is made unwritable in the middle of a request (after the session and role were read), the real
 * way: read-only for new sessions plus a reconnect, or INSERT/UPDATE on audit_log revoked from the
 * state role.
 */
const sfx = randomBytes(3).toString('hex')
const STATE_ROLE = `audit_writer_${sfx}`
const qi = (s: string) => `"${s.replace(/"/g, '""')}"`
const run = (db: Kysely<any>, text: string) => db.executeQuery(CompiledQuery.raw(text))

let state: Awaited<ReturnType<typeof freshStateDb>>
let target: FreshDatabase
/** The state database as a role that is not a superuser, so that a REVOKE binds it. */
let asRole: Kysely<any>
let pool: pg.Pool
let limited: Kysely<any>

const dbName = (url: string) => decodeURIComponent(new URL(url).pathname.slice(1))

beforeAll(async () => {
  ;[state, target] = await Promise.all([freshStateDb(), freshDatabase('failclosed')])
  await createOddNames(target.db)
  await sql`alter table ${sql.id(ODD.schema, ODD.table)} add column ${sql.id('api key')} text`.execute(target.db)
  await sql`insert into ${sql.id(ODD.schema, ODD.table)} (${sql.id(ODD.column)}, ${sql.id('api key')}) values (1, 'k-secret-1')`.execute(target.db)
  await run(state.db, `create role ${qi(STATE_ROLE)} login password 'writer-pass-1'`)
  await run(state.db, `grant select, insert, update, delete on all tables in schema public to ${qi(STATE_ROLE)}`)
  await run(state.db, `grant usage, select on all sequences in schema public to ${qi(STATE_ROLE)}`)
  const url = new URL(state.url)
  url.username = STATE_ROLE
  url.password = 'writer-pass-1'
  asRole = createDb(url.toString(), { max: 2 })
  // A pool of our own, so that the test can see its sessions end after they were terminated.
  pool = new pg.Pool({ connectionString: state.url, max: 2, application_name: 'fail-closed-probe' })
  pool.on('error', () => {})
  limited = new Kysely({ dialect: new PostgresDialect({ pool }) })
})

afterAll(async () => {
  await asRole?.destroy()
  await limited?.destroy()
  await run(state.db, `alter database ${qi(dbName(state.url))} reset default_transaction_read_only`).catch(() => {})
  await run(state.db, `drop owned by ${qi(STATE_ROLE)}`).catch(() => {})
  await state?.drop()
  await run(target.db, `drop role if exists ${qi(STATE_ROLE)}`)
  await target?.drop()
})

const session = (role: Role) => ({ userId: state.users[role].id, sessionVersion: 1 })

async function tableExists(db: Kysely<any>, name: string): Promise<boolean> {
  const { rows } = await sql<{ found: boolean }>`select to_regclass(${`public.${qi(name)}`}) is not null as found`.execute(db)
  return rows[0].found
}

/** Read-only for every new session of the state database, and this pool's sessions ended so that the next query reconnects. */
async function makeStateReadOnly() {
  await run(state.db, `alter database ${qi(dbName(state.url))} set default_transaction_read_only = on`)
  await sql`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${dbName(state.url)} and application_name = 'fail-closed-probe'`.execute(state.db)
  for (let i = 0; i < 100 && pool.totalCount > 0; i++) await new Promise((r) => setTimeout(r, 20))
}

async function makeStateWritable() {
  await run(state.db, `alter database ${qi(dbName(state.url))} reset default_transaction_read_only`)
  await sql`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${dbName(state.url)} and application_name = 'fail-closed-probe'`.execute(state.db)
  for (let i = 0; i < 100 && pool.totalCount > 0; i++) await new Promise((r) => setTimeout(r, 20))
}

const Name = z.object({ name: z.string().regex(/^[a-z_0-9]+$/) })

/** A change to the target database, as migrations, fixes and restores are. */
function createTableSpec(onRun?: () => Promise<void>): GuardedSpec<typeof Name, { created: string }> {
  return {
    name: 'test.create_table',
    permission: 'migrations.apply',
    input: Name,
    target: (i) => i.name,
    async run(_ctx, input) {
      await onRun?.()
      await sql`create table ${sql.id('public', input.name)} (id integer)`.execute(target.db)
      return { message: `created ${input.name}`, data: { created: input.name } }
    },
  }
}

describe('a change to the target', () => {
  it('does not run when the state database turned read-only after the session was read', async () => {
    const name = `not_made_${sfx}`
    let ran = false
    try {
      const result = await runGuarded(
        { ...createTableSpec(async () => void (ran = true)) },
        {
          stateDb: limited,
          session: session('admin'),
          clientIp: '192.0.2.30',
          rawInput: undefined,
          // Runs after the session and the role were read from the state database.
          readInput: async () => {
            await makeStateReadOnly()
            return { name }
          },
        },
      )
      expect(result).toEqual(AUDIT_UNAVAILABLE)
    } finally {
      await makeStateWritable()
    }
    expect(ran).toBe(false)
    expect(await tableExists(target.db, name)).toBe(false)
  })

  it('runs as before while the state database takes writes, recorded first as started, then with its result', async () => {
    const name = `made_${sfx}`
    let during: string | undefined
    const result = await runGuarded(
      createTableSpec(async () => {
        during = (await listAudit(state.db, { action: 'test.create_table', limit: 1 }))[0]?.result
      }),
      { stateDb: limited, session: session('admin'), clientIp: '192.0.2.31', rawInput: { name } },
    )
    expect(result).toMatchObject({ ok: true, data: { created: name } })
    expect(during).toBe('started')
    expect((await listAudit(state.db, { action: 'test.create_table', limit: 1 }))[0]).toMatchObject({ result: 'ok', target: name, clientIp: '192.0.2.31' })
    expect(await tableExists(target.db, name)).toBe(true)
  })

  it('a change that ran while the state database turned read-only: its start is recorded, success is not reported', async () => {
    const name = `made_unrecorded_${sfx}`
    try {
      const result = await runGuarded(createTableSpec(makeStateReadOnly), {
        stateDb: limited,
        session: session('admin'),
        clientIp: '192.0.2.32',
        rawInput: { name },
      })
      expect(result).toMatchObject({ ok: false, code: 'audit_unavailable' })
      expect(result.message).toContain('its start is recorded')
      expect('data' in result).toBe(false)
    } finally {
      await makeStateWritable()
    }
    const [row] = await listAudit(state.db, { action: 'test.create_table', limit: 1 })
    expect(row).toMatchObject({ result: 'started', target: name, actorEmail: 'admin@test.local', clientIp: '192.0.2.32' })
  })
})

describe('a reveal of masked values', () => {
  const input = { schema: ODD.schema, name: ODD.table }

  it('hands out nothing when its record cannot be written', async () => {
    await run(state.db, `revoke insert on audit_log from ${qi(STATE_ROLE)}`)
    try {
      const r = await runGuarded(revealPreviewSpec(() => target.db), { stateDb: asRole, session: session('admin'), clientIp: null, rawInput: input })
      expect(r).toEqual(AUDIT_UNAVAILABLE)
      expect(JSON.stringify(r)).not.toContain('k-secret-1')
    } finally {
      await run(state.db, `grant insert on audit_log to ${qi(STATE_ROLE)}`)
    }
  })

  it('hands out nothing when its result cannot be written after the values were read', async () => {
    await run(state.db, `revoke update on audit_log from ${qi(STATE_ROLE)}`)
    try {
      const r = await runGuarded(revealPreviewSpec(() => target.db), { stateDb: asRole, session: session('admin'), clientIp: null, rawInput: input })
      expect(r).toMatchObject({ ok: false, code: 'audit_unavailable' })
      expect(JSON.stringify(r)).not.toContain('k-secret-1')
    } finally {
      await run(state.db, `grant update on audit_log to ${qi(STATE_ROLE)}`)
    }
    expect((await listAudit(state.db, { action: 'schema.reveal_values', limit: 1 }))[0]).toMatchObject({ result: 'started', actorEmail: 'admin@test.local' })
    const ok = await runGuarded(revealPreviewSpec(() => target.db), { stateDb: asRole, session: session('admin'), clientIp: null, rawInput: input })
    expect(JSON.stringify(ok)).toContain('k-secret-1')
  })
})

describe('a change to the state database (one transaction with its record)', () => {
  const email = `not-created-${sfx}@test.local`

  for (const role of ['admin', 'operator', 'viewer'] as const) {
    it(`users.create as ${role} when INSERT on audit_log was revoked mid-request: no user`, async () => {
      const result = await runGuarded(createUserSpec, {
        stateDb: asRole,
        session: session(role),
        clientIp: '192.0.2.33',
        rawInput: undefined,
        readInput: async () => {
          await run(state.db, `revoke insert on audit_log from ${qi(STATE_ROLE)}`)
          return { email, role: 'viewer', password: 'not-created-password' }
        },
      }).finally(() => run(state.db, `grant insert on audit_log to ${qi(STATE_ROLE)}`))
      // Only an admin gets as far as reading the input; the others are refused before.
      expect(result).toEqual(role === 'admin' ? AUDIT_UNAVAILABLE : expect.objectContaining({ ok: false, code: 'forbidden' }))
      const found = await state.db.selectFrom('app_user').select('id').where('email', '=', email).execute()
      expect(found).toEqual([])
    })
  }

  it('the same request once the record can be written creates the user, with its record in the same transaction', async () => {
    const result = await runGuarded(createUserSpec, {
      stateDb: asRole,
      session: session('admin'),
      clientIp: '192.0.2.34',
      rawInput: { email, role: 'viewer', password: 'now-created-password' },
    })
    expect(result).toMatchObject({ ok: true })
    expect((await listAudit(state.db, { action: 'users.create', limit: 1 }))[0]).toMatchObject({ result: 'ok', target: email, clientIp: '192.0.2.34' })
  })

  it('a refused change (a duplicate e-mail) is still recorded, outside the rolled-back transaction', async () => {
    const result = await runGuarded(createUserSpec, {
      stateDb: asRole,
      session: session('admin'),
      clientIp: null,
      rawInput: { email, role: 'viewer', password: 'duplicate-password' },
    })
    expect(result).toMatchObject({ ok: false, code: 'duplicate_email' })
    expect((await listAudit(state.db, { action: 'users.create', limit: 1 }))[0]).toMatchObject({ result: 'failed', code: 'duplicate_email' })
  })

  it('a state change whose record fails inside the transaction is rolled back', async () => {
    const Key = z.object({ key: z.string() })
    const spec: GuardedSpec<typeof Key, undefined> = {
      name: 'test.write_setting',
      permission: 'users.manage',
      input: Key,
      stateTransaction: true,
      async run(ctx, input) {
        await ctx.stateDb.insertInto('app_setting').values({ key: input.key, value: JSON.stringify(true), updated_by: 'test' }).execute()
        await run(state.db, `revoke insert on audit_log from ${qi(STATE_ROLE)}`)
        return { message: 'written' }
      },
    }
    const key = `test.setting.${sfx}`
    const result = await runGuarded(spec, { stateDb: asRole, session: session('admin'), clientIp: null, rawInput: { key } }).finally(() =>
      run(state.db, `grant insert on audit_log to ${qi(STATE_ROLE)}`),
    )
    expect(result).toEqual(AUDIT_UNAVAILABLE)
    expect(await state.db.selectFrom('app_setting').select('key').where('key', '=', key).execute()).toEqual([])
  })
})
