import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { describeDbError, fullDbError, hideRowValuesInErrors, withoutRowValues } from './db-errors'

let target: FreshDatabase

beforeAll(async () => {
  target = await freshDatabase('errors')
  await sql`create type "Mood ü" as enum ('happy')`.execute(target.db)
  await sql`create table "Order; DROP" (id int primary key, email text unique, v text check (v <> 'x'), n int not null)`.execute(target.db)
  await sql`insert into "Order; DROP" values (1, 'SECRET-UNIQUE@x', 'ok', 1)`.execute(target.db)
})
afterAll(() => target?.drop())

/** The error PostgreSQL raises for a statement. */
async function pgError(query: ReturnType<typeof sql>): Promise<unknown> {
  return query.execute(target.db).then(
    () => {
      throw new Error('the statement succeeded')
    },
    (e: unknown) => e,
  )
}

describe('withoutRowValues on real PostgreSQL errors', () => {
  const cases: [string, ReturnType<typeof sql>, string, RegExp][] = [
    ['integer', sql`select 'SECRET-TOKEN-ABC123'::int`, 'SECRET', /^invalid input syntax for type integer: "…"\nSQLSTATE 22P02\n/],
    ['enum', sql`select 'SECRET-ENUM'::"Mood ü"`, 'SECRET', /^invalid input value for enum "Mood ü": "…"\nSQLSTATE 22P02/],
    ['out of range', sql`select ${'123456789012'}::int`, '123456789012', /^value "…" is out of range for type integer\nSQLSTATE 22003/],
    ['unique', sql`insert into "Order; DROP" values (2, 'SECRET-UNIQUE@x', 'ok', 1)`, 'SECRET', /^duplicate key value violates unique constraint "Order; DROP_email_key"\nSQLSTATE 23505\nDetail: Key \(email\)=\(…\) already exists\./],
    ['check', sql`insert into "Order; DROP" values (3, 'SECRET-CHECK@x', 'x', 1)`, 'SECRET', /^new row for relation "Order; DROP" violates check constraint "Order; DROP_v_check"\nSQLSTATE 23514\nDetail: Failing row contains \(…\)\./],
    ['not null', sql`insert into "Order; DROP" values (4, 'SECRET-NN@x', 'ok', null)`, 'SECRET', /^null value in column "n" of relation "Order; DROP" violates not-null constraint\nSQLSTATE 23502\nDetail: Failing row contains \(…\)\./],
    ['json', sql`select '{"SECRET-JSON": tru'::json`, 'SECRET', /^invalid input syntax for type json\nSQLSTATE 22P02\nDetail: Token "…" is invalid\.\nContext: JSON data, line 1: …/],
    ['quote and line break in the value', sql`select ${'SEC"RET\nSECOND-LINE-SECRET'}::int`, 'RET', /^invalid input syntax for type integer: "…"\nSQLSTATE 22P02(\n|$)/],
    ['date', sql`select '2024-02-31 SECRET'::date`, 'SECRET', /^(invalid input syntax for type date|date\/time field value out of range): "…"\nSQLSTATE 22/],
  ]

  it.each(cases)('%s: hides the value, keeps names and SQLSTATE', async (_label, query, secret, expected) => {
    const full = fullDbError(await pgError(query))
    expect(full).toContain(secret)
    const shown = withoutRowValues(full)
    expect(shown).not.toContain(secret)
    expect(shown).toMatch(expected)
  })

  it('keeps errors that quote only names as they are', async () => {
    const full = fullDbError(await pgError(sql`select * from "no such table"`))
    expect(withoutRowValues(full)).toBe(full)
    const syntax = describeDbError(await pgError(sql`selec 1`))
    expect(withoutRowValues(syntax)).toBe(syntax)
  })

  it('hides values in the error fields of stored jobs, findings and reports', async () => {
    const error = describeDbError(await pgError(sql`select 'SECRET-TOKEN-ABC123'::int`))
    const run = { id: 1, error, at: new Date(0), steps: [{ name: 'm1', error }], report: { migrations: [{ error, note: 'SECRET stays in notes' }] } }
    const shown = hideRowValuesInErrors(run)
    expect(JSON.stringify(shown.steps) + JSON.stringify(shown.report.migrations[0].error) + shown.error).not.toContain('SECRET')
    expect(shown.error).toBe('22P02: invalid input syntax for type integer: "…"')
    expect(shown.at).toEqual(new Date(0))
    expect(shown.report.migrations[0].note).toBe('SECRET stays in notes')
    expect(run.error).toBe(error)
  })
})
