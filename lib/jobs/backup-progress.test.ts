import { describe, expect, it } from 'vitest'
import type { BackupRecord } from '../backups/catalogue'
import type { BackupWork } from './backup-jobs'
import { backupProgressOf } from './backup-progress'

const backup = (id: string, status: BackupRecord['status'], counts: Partial<BackupRecord> = {}) =>
  ({ id, status, tablesDone: 0, tablesTotal: null, bytesWritten: 0, ...counts }) as BackupRecord
const work = (id: string, kind: BackupWork['kind'], status: BackupWork['status'], progress: BackupWork['progress']) =>
  ({ id, kind, backupId: kind === 'backup' ? id : 'b-1', status, progress }) as BackupWork

describe('backupProgressOf', () => {
  it('is not running when nothing runs, so the page does not poll', () => {
    expect(backupProgressOf([backup('b-1', 'succeeded')], [work('w-1', 'verify', 'succeeded', null)])).toEqual({ running: false, progress: {} })
  })

  it("takes a running backup's live progress over its row's counts, and a CLI backup's row counts when no work of this process runs it", () => {
    const p = backupProgressOf(
      [backup('b-1', 'running', { tablesDone: 1, tablesTotal: 9, bytesWritten: 10 }), backup('b-2', 'running', { tablesDone: 3, tablesTotal: 4, bytesWritten: 99 })],
      [work('b-1', 'backup', 'running', { phase: 'dumping', tablesDone: 5, tablesTotal: 9, currentTable: 'public.meeting' })],
    )
    expect(p).toEqual({
      running: true,
      progress: {
        'b-1': { phase: 'dumping', tablesDone: 5, tablesTotal: 9, currentTable: 'public.meeting' },
        'b-2': { phase: 'dumping', tablesDone: 3, tablesTotal: 4, bytesWritten: 99 },
      },
    })
  })

  it('follows a running verification, drill or restore by its work id, and leaves finished ones out', () => {
    const p = backupProgressOf([], [work('w-1', 'restore', 'running', { phase: 'restoring', tablesDone: 2 }), work('w-2', 'drill', 'failed', { phase: 'restoring' })])
    expect(p).toEqual({ running: true, progress: { 'w-1': { phase: 'restoring', tablesDone: 2 } } })
  })
})
