import { describe, expect, it } from 'vitest'
import type { JobRow } from '../jobs/job-store'
import { backupProgressOf } from './backup-progress'

const job = (id: number, state: JobRow['state'], progress: JobRow['progress'] = { done: null, total: null, label: null }) => ({ id, kind: 'backup.full', state, progress }) as JobRow

describe('backupProgressOf', () => {
  it('is not running when no job is queued or running, so the page does not poll', () => {
    expect(backupProgressOf([job(1, 'succeeded'), job(2, 'failed'), job(3, 'interrupted'), job(4, 'cancelled')])).toEqual({ running: false, progress: {}, states: {}, backups: [] })
  })

  it('follows queued and running jobs by id with their rows’ progress, and leaves finished ones out', () => {
    const p = backupProgressOf([job(7, 'running', { done: 5, total: 9, label: 'dumping' }), job(8, 'queued'), job(6, 'succeeded', { done: 9, total: 9, label: 'done' })])
    expect(p).toEqual({
      running: true,
      progress: { '7': { done: 5, total: 9, label: 'dumping' }, '8': { done: null, total: null, label: null } },
      states: { '7': 'running', '8': 'queued' },
      backups: [],
    })
  })

  it("keeps polling while the catalogue has a running backup, whose job's worker added it", () => {
    expect(backupProgressOf([], ['b2', 'b1'])).toEqual({ running: true, progress: {}, states: {}, backups: ['b1', 'b2'] })
  })
})
