import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { freshStateDb } from '../test/state-db'
import { listAudit } from './audit/audit-log'
import { ActionError } from './auth/action-result'
import { type GuardedSpec, runGuarded } from './auth/guarded-run'
import { isDbError } from './db/db-errors'
import { AppError, httpStatus } from './errors'
import { AlertError } from './alerts/alert-error'
import { ReaderError, ReaderQueryError } from './db/restricted-reader'
import { RuleQueryError } from './integrity/custom-rules'
import { RoleRuleError } from './integrity/role-rules'
import { PerformanceError } from './performance/performance-error'
import { UnknownSnapshotError } from './schema/take-snapshot'
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

  it('shows the performance, alert, rule-query, reader and snapshot errors with their own code, nothing mapped by hand', async () => {
    const cases: [Error, object][] = [
      [new PerformanceError('not_permitted', 'The dashboard role may not VACUUM public.secret.'), { code: 'not_permitted', message: 'The dashboard role may not VACUUM public.secret.' }],
      [new PerformanceError('refused', 'Only one statement can be explained at a time.'), { code: 'refused', message: 'Only one statement can be explained at a time.' }],
      [new AlertError('conflict', 'The alert "Query running over 30 seconds" is not firing.'), { code: 'conflict', message: 'The alert "Query running over 30 seconds" is not firing.' }],
      [new AlertError('invalid_input', 'There is already a channel named "ops".', 'name'), { code: 'invalid_input', fieldErrors: { name: 'There is already a channel named "ops".' } }],
      [
        new RuleQueryError('relation "nope" does not exist', '42P01'),
        { code: 'invalid_input', message: 'The query does not run: relation "nope" does not exist', fieldErrors: { query: 'relation "nope" does not exist' } },
      ],
      [new ReaderError('unavailable', `RULE_READER_DATABASE_URL ${URL_WITH_PASSWORD} does not log in.`), { code: 'unavailable', message: 'RULE_READER_DATABASE_URL [url] does not log in.' }],
      [new ReaderError('timeout', 'The server did not answer within 5 s; the session was ended.'), { code: 'invalid_input' }],
      [new ReaderQueryError('division by zero', '22012'), { code: 'invalid_input', message: 'division by zero' }],
      [new UnknownSnapshotError(7), { code: 'not_found', message: 'There is no schema snapshot #7.' }],
    ]
    for (const [error, shown] of cases) {
      const { result, audit, logged } = await refusalOf(error)
      expect(result, error.name).toEqual({ ok: false, ...shown, message: expect.any(String), ...shown })
      expect(audit).toMatchObject({ result: 'failed', code: (shown as { code: string }).code })
      expect(logged).toEqual([])
    }
  })

  it('knows an AppError made by another module graph (the per-process rule reader is made by whichever graph asks first)', async () => {
    vi.resetModules()
    const other = await import('./db/restricted-reader')
    expect(other.ReaderError).not.toBe(ReaderError)
    const { result, logged } = await refusalOf(new other.ReaderError('unsafe', 'The reader role may create roles: user-written SQL does not run as it.'))
    expect(result).toEqual({ ok: false, code: 'unavailable', message: 'The reader role may create roles: user-written SQL does not run as it.' })
    expect(logged).toEqual([])
    expect(new other.ReaderError('unavailable', 'x')).not.toBeInstanceOf(ScheduleError)
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
