import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { freshStateDb } from '../../test/state-db'
import { targetIdentity } from '../db/target-identity'
import { getIntegrityRun } from './run-store'
import { scheduledRunDue, scheduleTick } from './schedule'

let target: FreshDatabase
let state: Awaited<ReturnType<typeof freshStateDb>>

beforeAll(async () => {
  target = await freshDatabase('sched')
  state = await freshStateDb()
})
afterAll(async () => {
  await target?.drop()
  await state?.drop()
})

async function finished(id: number) {
  for (let i = 0; i < 100; i++) {
    const run = await getIntegrityRun(state.db, id)
    if (run && !['queued', 'running'].includes(run.status)) return run
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error('run did not finish')
}

describe('the integrity schedule', () => {
  it('starts one unattended run when due, then waits for the next period', async () => {
    const name = (await targetIdentity(target.db)).key
    expect(await scheduleTick(target.db, state.db, 0)).toBeNull()
    expect(await scheduledRunDue(state.db, name, 24)).toBe(true)
    const id = await scheduleTick(target.db, state.db, 24)
    expect(id).toEqual(expect.any(Number))
    const run = await finished(id!)
    expect(run).toMatchObject({ trigger: 'schedule', startedBy: 'schedule', status: 'succeeded' })
    expect(await scheduledRunDue(state.db, name, 24)).toBe(false)
    expect(await scheduleTick(target.db, state.db, 24)).toBeNull()
  })
})
