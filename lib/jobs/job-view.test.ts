import { describe, expect, it } from 'vitest'
import type { JobRow } from './job-store'
import { jobView } from './job-view'

const row = (over: Partial<JobRow>): JobRow => ({
  id: 7,
  kind: 'integrity.restore',
  queue: 'fix-restore-x',
  bossId: null,
  targetKey: 'k',
  targetDatabase: 'dor',
  subject: 'public.fileupload(agenda_item_id) → public.agenda_item(id) (fix #3)',
  exclusiveKey: null,
  state: 'failed',
  trigger: 'manual',
  startedBy: 'admin@test.local',
  input: { fixId: 3 },
  createdAt: new Date('2026-12-03T10:00:00Z'),
  startedAt: new Date('2026-12-03T10:00:01Z'),
  finishedAt: new Date('2026-12-03T10:00:02Z'),
  attempts: 1,
  progress: { done: null, total: null, label: null },
  cancelRequested: false,
  message: null,
  error: 'invalid input syntax for type integer: "SECRET-1"',
  result: null,
  refId: 4,
  ...over,
})

describe('a job as the Jobs page shows it', () => {
  it('hides the row values an error quotes from roles that may not reveal data', () => {
    expect(jobView(row({}), 'admin').error).toBe('invalid input syntax for type integer: "SECRET-1"')
    for (const role of ['operator', 'viewer'] as const) expect(jobView(row({}), role).error).toBe('invalid input syntax for type integer: "…"')
  })

  it('offers Cancel to operators for their kinds, to admins for all, while it is queued or running', () => {
    const run = row({ kind: 'integrity.run', state: 'running', error: null })
    const fix = row({ kind: 'integrity.fix', state: 'queued', error: null })
    expect([jobView(run, 'viewer').canCancel, jobView(run, 'operator').canCancel, jobView(run, 'admin').canCancel]).toEqual([false, true, true])
    expect([jobView(fix, 'viewer').canCancel, jobView(fix, 'operator').canCancel, jobView(fix, 'admin').canCancel]).toEqual([false, false, true])
    expect(jobView({ ...run, state: 'succeeded' }, 'admin').canCancel).toBe(false)
    expect(jobView(run, 'admin')).toMatchObject({ title: 'Integrity run', createdAt: '2026-12-03T10:00:00.000Z', links: [{ label: 'run #4', href: '/integrity?run=4' }] })
  })
})
