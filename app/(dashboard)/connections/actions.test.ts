import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ActionHarness, openActionHarness } from '../../../test/action-harness'
import { listAudit } from '@/lib/audit/audit-log'
import type { GuardedSpec } from '@/lib/auth/guarded-run'
import { listReplicationSlots } from '@/lib/performance/replication-slots'

let h: ActionHarness
let drop: GuardedSpec<any, any>
// Slots belong to the cluster, which the test files share: a name of this run's own.
const SLOT = `dor_test_${randomBytes(4).toString('hex')}`

beforeAll(async () => {
  h = await openActionHarness('slotact')
  const { wrappedSpec } = await import('@/lib/auth/action')
  drop = wrappedSpec((await import('./actions')).dropReplicationSlotAction)!
  // immediately_reserve: the slot holds WAL from now on, as a standby that went away would.
  await sql`select pg_create_physical_replication_slot(${SLOT}, true)`.execute(h.target.db)
  await sql`create table t (id int)`.execute(h.target.db)
  await sql`insert into t select generate_series(1, 20000)`.execute(h.target.db)
  await sql`select pg_switch_wal()`.execute(h.target.db)
})
afterAll(async () => {
  await sql`select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = ${SLOT}`.execute(h.target.db).catch(() => {})
  await h?.close()
})

describe('inactive replication slots', () => {
  it('lists an inactive slot with the WAL it retains', async () => {
    const r = await listReplicationSlots(h.target.db)
    const slot = r.inactive.find((s) => s.name === SLOT)
    expect(slot).toMatchObject({ type: 'physical', active: false, database: null, walStatus: 'reserved' })
    expect(slot!.retainedBytes).toBeGreaterThan(0)
    expect(r.canDrop).toBe(true)
  })

  it('is dropped by an admin only, audited; a viewer and an operator are refused and it stays', async () => {
    for (const role of ['viewer', 'operator'] as const) {
      expect(await h.as(role, drop, { name: SLOT })).toMatchObject({ ok: false, code: 'forbidden' })
    }
    expect((await listReplicationSlots(h.target.db)).slots.some((s) => s.name === SLOT)).toBe(true)
    const r = await h.as('admin', drop, { name: SLOT })
    expect(r).toMatchObject({ ok: true, message: expect.stringMatching(new RegExp(`^Replication slot ${SLOT} dropped: .+ of WAL`)) })
    expect((await listReplicationSlots(h.target.db)).slots.some((s) => s.name === SLOT)).toBe(false)
    const audit = await listAudit(h.state.db, { action: 'replication.drop_slot' })
    expect(audit.map((a) => [a.actorEmail, a.result, a.target])).toEqual(
      expect.arrayContaining([
        [h.state.users.viewer.email, 'denied', null],
        [h.state.users.operator.email, 'denied', null],
        [h.state.users.admin.email, 'ok', `slot ${SLOT}`],
      ]),
    )
  })

  it('refuses bad input and a slot that is not there, changing nothing', async () => {
    expect(await h.as('admin', drop, { name: "x'; drop table t;--" })).toMatchObject({ ok: false, code: 'invalid_input' })
    expect(await h.as('admin', drop, { name: 'no_such_slot_anywhere' })).toMatchObject({ ok: false, code: 'not_found', message: expect.stringContaining('no_such_slot_anywhere') })
    expect(await h.as('admin', drop, {})).toMatchObject({ ok: false, code: 'invalid_input' })
  })
})
