import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshStateDb } from '../../test/state-db'
import { BACKUP_AGE_ALERT_HOURS, backupAge, lastSuccessfulBackup } from './backup-age'

let state: Awaited<ReturnType<typeof freshStateDb>>

beforeAll(async () => {
  state = await freshStateDb()
})
afterAll(() => state?.drop())

const HOUR = 3_600_000

describe('backupAge', () => {
  const now = new Date('2026-12-03T12:00:00Z')
  it('is whole hours, red only past the threshold, and red when there is no backup', () => {
    expect(backupAge(new Date(now.getTime() - 30 * 60_000), now)).toEqual({ hours: 0, alert: false })
    expect(backupAge(new Date(now.getTime() - 5.5 * HOUR), now)).toEqual({ hours: 5, alert: false })
    expect(backupAge(new Date(now.getTime() - BACKUP_AGE_ALERT_HOURS * HOUR), now)).toEqual({ hours: BACKUP_AGE_ALERT_HOURS, alert: false })
    expect(backupAge(new Date(now.getTime() - BACKUP_AGE_ALERT_HOURS * HOUR - 1), now)).toEqual({ hours: BACKUP_AGE_ALERT_HOURS, alert: true })
    expect(backupAge(null, now)).toEqual({ hours: null, alert: true })
  })
})

describe('lastSuccessfulBackup', () => {
  async function add(file: string, o: { target?: string; status?: string; hoursAgo: number; deleted?: boolean }) {
    await state.db
      .insertInto('backup')
      .values({
        target_key: o.target ?? 'sys/dor',
        target_database: 'dor',
        kind: 'full',
        format: 'custom',
        origin: 'manual',
        file,
        status: o.status ?? 'succeeded',
        created_by: 't',
        started_at: sql`now() - make_interval(hours => ${o.hoursAgo})`,
        finished_at: sql`now() - make_interval(hours => ${o.hoursAgo})`,
        deleted_at: o.deleted ? sql`now()` : null,
      })
      .execute()
  }

  it('is the newest success of this target that still exists', async () => {
    expect(await lastSuccessfulBackup(state.db, 'sys/dor')).toBeNull()
    await add('old.dump', { hoursAgo: 50 })
    await add('kept.dump', { hoursAgo: 30 })
    await add('failed.dump', { hoursAgo: 2, status: 'failed' })
    await add('deleted.dump', { hoursAgo: 3, deleted: true })
    await add('other-target.dump', { hoursAgo: 1, target: 'sys/other' })
    const last = await lastSuccessfulBackup(state.db, 'sys/dor')
    expect(last).toMatchObject({ file: 'kept.dump', kind: 'full', verifyOk: null })
    expect(backupAge(last!.finishedAt)).toEqual({ hours: 30, alert: true })
  })
})
