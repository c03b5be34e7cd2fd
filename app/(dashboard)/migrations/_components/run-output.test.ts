import { createElement } from 'react'
import { renderToStaticMarkup } from 'react-dom/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshStateDb } from '../../../../test/state-db'
import type { TargetIdentity } from '@/lib/db/target-identity'
import { createRun, listRuns, type RunKind, updateRun } from '@/lib/migrations/run-store'
import { RunOutput } from './run-output'

// The history's output of baseline and Alembic runs, drawn from reports stored in a real state
// database: a malformed one says what is wrong instead of breaking the page.
let state: Awaited<ReturnType<typeof freshStateDb>>
const target: TargetIdentity = { key: 'sys-run-output/dor', database: 'dor', serverBy: 'system_identifier' }
const actor = { label: 'admin@test.local', source: 'dashboard' as const }

beforeAll(async () => {
  state = await freshStateDb()
})

afterAll(async () => {
  await state?.drop()
})

/** Stores a run of `kind` with `report` (none for a run still going) and renders its output as the history reads it back. */
async function shown(kind: RunKind, report?: unknown): Promise<string> {
  const id = await createRun(state.db, { kind, target, actor })
  if (report !== undefined) await updateRun(state.db, id, { status: 'succeeded', report })
  const run = (await listRuns(state.db, { targetKey: target.key, limit: 500 })).find((r) => r.id === id)!
  return renderToStaticMarkup(createElement(RunOutput, { run }))
}

describe('RunOutput', () => {
  it('shows the stored output, SQL and differences', async () => {
    const sqlRun = await shown('alembic_sql', { range: 'a:b', direction: 'upgrade', sql: 'CREATE TABLE meeting (id int);', output: 'INFO  [alembic] Running upgrade a -> b' })
    expect(sqlRun).toMatch(/<summary>SQL<\/summary>.*sql-keyword">CREATE</)
    expect(sqlRun).toContain('Alembic output')
    expect(sqlRun).toContain('Running upgrade a -&gt; b')
    const difference = { object: 'column', change: 'added', schema: 'public', table: 'meeting', name: 'note', detail: 'text' }
    const baseline = await shown('baseline', { baseline: true, to: '0002', accepted: true, differences: [difference] })
    expect(baseline).toContain('1 difference from the live schema (accepted)')
    expect(baseline).toContain('added column public.meeting.note: text')
    expect(await shown('alembic_upgrade')).toBe('')
  })

  it('says what is wrong with a malformed stored report instead of failing the page', async () => {
    const alembic = await shown('alembic_upgrade', { command: 'upgrade', output: { lines: 3 } })
    expect(alembic).toMatch(/data-testid="run-output-error">The Alembic run report is malformed: .*expected string.*output/)
    const baseline = await shown('baseline', { baseline: true, differences: [{ object: 'planet', change: 'added' }] })
    expect(baseline).toMatch(/The baseline report is malformed: .*differences\[0\]\.object/)
    expect(await shown('alembic_sql', 'not a report')).toMatch(/The Alembic run report is malformed: .*expected object/)
  })
})
