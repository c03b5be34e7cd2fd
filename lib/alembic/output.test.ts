import { describe, expect, it } from 'vitest'
import { alembicError, loggedSteps, REVISION_PATTERN, stepRevision } from './output'
import { redactor } from './process'

const LOG = `INFO  [alembic.runtime.migration] Context impl PostgresqlImpl.
INFO  [alembic.runtime.migration] Running upgrade  -> 1a2b3c4d5e6f, create users
INFO  [alembic.runtime.migration] Running upgrade 2b3c4d5e6f70, 3c4d5e6f7081 -> 4d5e6f708192, merge heads
INFO  [alembic.runtime.migration] Running downgrade 4d5e6f708192 -> 2b3c4d5e6f70, 3c4d5e6f7081, merge heads, with a comma
INFO  [alembic.runtime.migration] Running downgrade 1a2b3c4d5e6f -> , create users
`

describe('Alembic log lines', () => {
  it('reads each step, telling merged revisions from a message with commas', () => {
    expect(loggedSteps(LOG)).toEqual([
      { direction: 'upgrade', from: [], to: ['1a2b3c4d5e6f'], message: 'create users' },
      { direction: 'upgrade', from: ['2b3c4d5e6f70', '3c4d5e6f7081'], to: ['4d5e6f708192'], message: 'merge heads' },
      { direction: 'downgrade', from: ['4d5e6f708192'], to: ['2b3c4d5e6f70', '3c4d5e6f7081'], message: 'merge heads, with a comma' },
      { direction: 'downgrade', from: ['1a2b3c4d5e6f'], to: [], message: 'create users' },
    ])
    expect(loggedSteps(LOG).map(stepRevision)).toEqual(['1a2b3c4d5e6f', '4d5e6f708192', '4d5e6f708192', '1a2b3c4d5e6f'])
    // Known revision ids are used when given: short ids are not hex-like.
    expect(loggedSteps('Running upgrade a -> b, c, first', new Set(['a', 'b', 'c']))[0]).toMatchObject({ to: ['b', 'c'], message: 'first' })
  })

  it('takes the exception after the last traceback, or Alembic’s FAILED line', () => {
    const tb = `INFO  [x] Running upgrade a -> b
Traceback (most recent call last):
  File "x.py", line 1, in <module>
    boom()
sqlalchemy.exc.ProgrammingError: (psycopg2.errors.DuplicateTable) relation "meeting" already exists

[SQL: create table meeting (id int)]`
    expect(alembicError(tb)).toBe('sqlalchemy.exc.ProgrammingError: (psycopg2.errors.DuplicateTable) relation "meeting" already exists\n\n[SQL: create table meeting (id int)]')
    expect(alembicError('INFO  [x] y\nFAILED: Multiple head revisions are present for given argument \'head\'\n')).toBe(
      "FAILED: Multiple head revisions are present for given argument 'head'",
    )
    expect(alembicError('', '')).toBe('Alembic exited without a message')
  })

  it('accepts revisions Alembic takes and never an option', () => {
    for (const ok of ['head', 'heads', 'base', '-1', '+2', '1a2b3c4d5e6f', 'ae10+2', 'branch@head']) expect(REVISION_PATTERN.test(ok), ok).toBe(true)
    for (const bad of ['--sql', '-c', '', '-x1', 'a b', 'head;rm', '$(id)']) expect(REVISION_PATTERN.test(bad), bad).toBe(false)
  })
})

describe('redaction of Alembic output', () => {
  it('masks the URL and the password, raw and encoded', () => {
    const url = 'postgres://dor:p%40ss%2Fw0rd@db:5432/dor'
    const redact = redactor(url)
    expect(redact(`connect ${url} or postgresql://dor:p%40ss%2Fw0rd@db:5432/dor with p@ss/w0rd and p%40ss%2Fw0rd`)).toBe(
      'connect [DATABASE_URL] or [DATABASE_URL] with *** and ***',
    )
  })
})
