import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshStateDb } from '../../test/state-db'
import { BACKUP_AGE_ALERT_HOURS, backupAge, lastDrill, lastSuccessfulBackup } from './backup-age'

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

describe('lastDrill', () => {
  it('is the newest drill of this target, though newer backups were taken since', async () => {
    expect(await lastDrill(state.db, 'sys/drill')).toBeNull()
    const add = (file: string, hoursAgo: number, drill?: { hoursAgo: number; ok: boolean }, target = 'sys/drill') =>
      state.db
        .insertInto('backup')
        .values({
          target_key: target,
          target_database: 'dor',
          kind: 'full',
          format: 'custom',
          origin: 'scheduled',
          file,
          status: 'succeeded',
          created_by: 'schedule',
          started_at: sql`now() - make_interval(hours => ${hoursAgo})`,
          finished_at: sql`now() - make_interval(hours => ${hoursAgo})`,
          ...(drill ? { verify_kind: 'drill', verify_ok: drill.ok, verify_error: drill.ok ? null : 'meeting has 1 row too few', verified_at: sql`now() - make_interval(hours => ${drill.hoursAgo})` } : {}),
        })
        .execute()
    await add('sunday.dump', 120, { hoursAgo: 118, ok: false })
    await add('monday.dump', 96, { hoursAgo: 95, ok: true })
    await add('tuesday.dump', 72)
    await add('today.dump', 2)
    await add('other.dump', 1, { hoursAgo: 1, ok: false }, 'sys/other')
    expect(await lastSuccessfulBackup(state.db, 'sys/drill')).toMatchObject({ file: 'today.dump', verifyKind: null })
    const drill = await lastDrill(state.db, 'sys/drill')
    expect(drill).toMatchObject({ file: 'monday.dump', ok: true, error: null })
    expect(backupAge(drill!.at).hours).toBe(95)
  })
})
