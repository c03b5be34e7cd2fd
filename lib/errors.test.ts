import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { freshStateDb } from '../test/state-db'
import { listAudit } from './audit/audit-log'
import { ActionError } from './auth/action-result'
import { type GuardedSpec, runGuarded } from './auth/guarded-run'
import { isDbError } from './db/db-errors'
import { AppError, httpStatus } from './errors'
import { RoleRuleError } from './integrity/role-rules'
import { ScheduleError } from './jobs/schedules'
import { whatStopped } from './migrations/run-failure'

let state: Awaited<ReturnType<typeof freshStateDb>>

beforeAll(async () => {
  state = await freshStateDb()
})
afterAll(() => state?.drop())

const URL_WITH_PASSWORD = 'postgres://owner:s3cret-pw@db.example.org:5432/dor'

const NoInput = z.object({})

/** An action that throws `error`, run as an admin through the wrapper every action uses. */
async function refusalOf(error: unknown) {
  const logged: unknown[] = []
  const spec: GuardedSpec<typeof NoInput, undefined> = {
    name: 'checks.run_all',
    permission: 'checks.run',
    input: NoInput,
    async run() {
      throw error
    },
  }
  const result = await runGuarded(spec, {
    stateDb: state.db,
    session: { userId: state.users.admin.id, sessionVersion: 1 },
    clientIp: null,
    rawInput: {},
    logError: (_ref, e) => logged.push(e),
  })
  const [audit] = await listAudit(state.db, { limit: 1 })
  return { result, audit, logged }
}

describe('AppError through the action wrapper', () => {
  it('reaches the page as { ok: false, code, message } with the password redacted, and is audited so', async () => {
    const { result, audit, logged } = await refusalOf(new AppError('unavailable', `The target at ${URL_WITH_PASSWORD} does not answer.`, { cause: new Error('ECONNREFUSED') }))
    expect(result).toEqual({ ok: false, code: 'unavailable', message: 'The target at [url] does not answer.' })
    expect(JSON.stringify(result)).not.toContain('s3cret')
    expect(audit).toMatchObject({ result: 'failed', code: 'unavailable', message: 'The target at [url] does not answer.' })
    expect(logged).toEqual([])
  })

  it('maps the domain errors once, with the field they are about: no try/catch in the action', async () => {
    expect((await refusalOf(new RoleRuleError(`No table at ${URL_WITH_PASSWORD} here.`, 'table'))).result).toEqual({
      ok: false,
      code: 'invalid_input',
      message: 'No table at [url] here.',
      fieldErrors: { table: 'No table at [url] here.' },
    })
    expect((await refusalOf(new ScheduleError('"Mars/Base" is not a time zone (use an IANA name such as UTC or Europe/Berlin).'))).result).toMatchObject({
      ok: false,
      code: 'invalid_input',
      fieldErrors: { timezone: expect.stringContaining('Mars/Base') },
    })
    // ActionError is an AppError.
    expect((await refusalOf(new ActionError('conflict', 'Already running.'))).result).toEqual({ ok: false, code: 'conflict', message: 'Already running.' })
  })

  it('turns any other error into a reference, never its text', async () => {
    const { result, logged } = await refusalOf(new Error(`connect ${URL_WITH_PASSWORD} failed`))
    expect(result).toMatchObject({ ok: false, code: 'internal' })
    expect(result.message).toMatch(/^Something went wrong \(reference [0-9a-f]{8}\)/)
    expect(result.message).not.toContain('s3cret')
    expect(logged).toHaveLength(1)
  })

  it('gives each code its HTTP status', () => {
    expect([httpStatus('conflict'), httpStatus('forbidden'), httpStatus('unavailable'), httpStatus('migration_failed')]).toEqual([409, 403, 503, 400])
  })
})

describe('isDbError', () => {
  it('knows PostgreSQL’s own errors, by SQLSTATE when given one, and not ours', async () => {
    await state.db.schema.createTable('uniq').addColumn('k', 'text', (c) => c.primaryKey()).execute()
    await state.db.insertInto('uniq' as never).values({ k: 'a' } as never).execute()
    const e = await state.db
      .insertInto('uniq' as never)
      .values({ k: 'a' } as never)
      .execute()
      .catch((x: unknown) => x)
    expect(isDbError(e)).toBe(true)
    expect(isDbError(e, '23505')).toBe(true)
    expect(isDbError(e, '42501')).toBe(false)
    expect(isDbError(new AppError('conflict', 'busy'))).toBe(false)
    expect(isDbError(new Error('plain'))).toBe(false)
  })
})

describe('whatStopped (migration runs and checks)', () => {
  it('says what the user can act on, without the URL, and leaves other errors to the wrapper', () => {
    const pgDump = whatStopped('The rehearsal', new Error(`pg_dump: error: connection to server at ${URL_WITH_PASSWORD} failed`))
    expect(pgDump).toBeInstanceOf(AppError)
    expect(pgDump).toMatchObject({ code: 'unavailable', message: "The rehearsal could not copy the target's schema into a scratch database: pg_dump: error: connection to server at [url] failed" })
    expect(whatStopped('The run', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))?.message).toBe('The run could not start or finish: connection refused')
    const own = new AppError('conflict', 'no')
    expect(whatStopped('The run', own)).toBe(own)
    expect(whatStopped('The run', new TypeError('x is undefined'))).toBeNull()
  })
})
