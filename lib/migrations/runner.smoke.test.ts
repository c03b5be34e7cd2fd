import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { freshStateDb } from '../../test/state-db'
import { migrateDemoToSecondNewest } from '../demo/prepare-demo'
import { dorMigrationSet } from './registry'
import { applyMigrations, rollbackLast, type RunOptions } from './runner'
import { listRuns } from './run-store'
import { migrationStatus, OUTSIDE } from './status'

let target: FreshDatabase
let state: Awaited<ReturnType<typeof freshStateDb>>
let opts: RunOptions

beforeAll(async () => {
  target = await freshDatabase('mig')
  state = await freshStateDb()
  await migrateDemoToSecondNewest(target.db)
  opts = {
    targetUrl: target.url,
    state: state.db,
    set: await dorMigrationSet(),
    actor: { id: state.users.admin.id, label: state.users.admin.email, source: 'dashboard' },
    lockTimeoutMs: 2000,
    statementTimeoutMs: 30_000,
  }
})
afterAll(async () => {
  await target?.drop()
  await state?.drop()
})

describe('DoR migrations through the runner', () => {
  it('shows the demo state: all but the newest applied outside the dashboard', async () => {
    const s = await migrationStatus(target.db, state.db, opts.set)
    const names = opts.set.defs.map((d) => d.name)
    expect(s.pending).toEqual([names[names.length - 1]])
    expect(s.migrations.filter((m) => m.state === 'applied').every((m) => m.appliedBy === OUTSIDE)).toBe(true)
  })

  it('applies the pending one and rolls it back, recording both with snapshots', async () => {
    const names = opts.set.defs.map((d) => d.name)
    const newest = names[names.length - 1]
    const applied = await applyMigrations(opts, { next: true })
    expect(applied).toMatchObject({ ok: true, notRun: [], message: `Applied ${newest}.` })
    let s = await migrationStatus(target.db, state.db, opts.set)
    expect(s.pending).toEqual([])
    expect(s.migrations.find((m) => m.name === newest)).toMatchObject({ appliedBy: state.users.admin.email, flags: [] })

    await expect(rollbackLast(opts, names[0])).rejects.toThrow(`Type the name of the last applied migration (${newest}) to confirm.`)
    const rolled = await rollbackLast(opts, newest)
    expect(rolled).toMatchObject({ ok: true, message: `Rolled back ${newest}.` })
    s = await migrationStatus(target.db, state.db, opts.set)
    expect(s.pending).toEqual([newest])

    const runs = await listRuns(state.db, { targetKey: s.target.key, lockHeld: false })
    expect(runs.map((r) => [r.kind, r.status])).toEqual([
      ['rollback', 'succeeded'],
      ['apply', 'succeeded'],
    ])
    expect(runs[1].snapshotBeforeId).not.toBeNull()
    expect(runs[1].steps).toEqual([expect.objectContaining({ name: newest, direction: 'up', status: 'succeeded' })])
  })
})
