import { describe, expect, it } from 'vitest'
import { AppError } from '../errors'
import { parseCheckReport, parseCheckResult } from './check-report'

describe('migration check reports', () => {
  it('parses a check result as the job returns it', () => {
    const result = {
      runId: 7,
      ok: true,
      message: 'Dry run succeeded',
      migrations: [{ name: '0001_init', statements: [{ sql: 'create table t (id int)', parameters: [] }] }],
    }
    expect(parseCheckResult('dry_run', result)).toEqual(result)
    const drift = {
      runId: 8,
      comparable: true,
      message: '1 difference',
      replay: { applied: ['0001_init'], failed: null },
      changes: [{ object: 'column', change: 'added', schema: 'public', table: 't', name: 'x', detail: 'integer' }],
    }
    expect(parseCheckResult('drift', drift)).toEqual(drift)
  })

  it('reads lists missing from an older stored report as empty', () => {
    expect(parseCheckReport('dry_run', {})).toEqual({ migrations: [] })
    expect(parseCheckReport('drift', {})).toEqual({ replay: { applied: [], failed: null }, changes: [] })
    expect(parseCheckReport('rehearsal', { steps: [{ name: 'a', ok: true, downRestores: true, upRepeats: true }] }).steps[0]).toMatchObject({
      downDiff: [],
      upAgainDiff: [],
    })
  })

  it('refuses a malformed report with an error naming the kind and the field', () => {
    const bad = () => parseCheckReport('rehearsal', { steps: [{ name: 'a', ok: 'yes', downRestores: null, upRepeats: null }] })
    expect(bad).toThrow(AppError)
    expect(bad).toThrow(/^The rollback test report is malformed: .*expected boolean.*steps\[0\]\.ok/)
    expect(() => parseCheckResult('replay', { runId: 1, ok: true, message: 'm', applied: 'x', failed: null })).toThrow(
      /^The replay result is malformed: .*expected array.*applied/,
    )
    expect(() => parseCheckResult('drift', { runId: 1, comparable: true, message: 'm', changes: [{ object: 'planet' }] })).toThrow(
      /^The drift check result is malformed: .*changes\[0\]\.object/,
    )
  })
})
