import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshStateDb } from '../../test/state-db'
import { insertUploadedBackup } from './catalogue'
import { planRetention } from './retention-policy'

let state: Awaited<ReturnType<typeof freshStateDb>>
beforeAll(async () => {
  state = await freshStateDb()
})
afterAll(() => state?.drop())

const HOUR = 3_600_000

async function backup(file: string, origin: 'scheduled' | 'pre_migration', hoursAgo: number): Promise<string> {
  const id = await insertUploadedBackup(state.db, { targetKey: 'tk', targetDatabase: 'dor', kind: 'full', format: 'custom', file, createdBy: 't', sizeBytes: 1, sha256: '-', toolVersion: '15' })
  await state.db.updateTable('backup').set({ origin, started_at: new Date(Date.now() - hoursAgo * HOUR) }).where('id', '=', id).execute()
  return id
}

describe('planRetention', () => {
  it('ranks pre-migration dumps among themselves: they neither push scheduled backups out nor escape the policy', async () => {
    await backup('s1', 'scheduled', 30)
    await backup('s2', 'scheduled', 20)
    await backup('s3', 'scheduled', 10)
    await backup('p1', 'pre_migration', 5)
    await backup('p2', 'pre_migration', 1)
    const plan = await planRetention(state.db, 'tk', { keepLast: 1 }, new Set())
    expect(plan.doomed.map((d) => d.file).sort()).toEqual(['p1', 's1', 's2'])
    expect(plan.kept).toBe(2)
  })
})
