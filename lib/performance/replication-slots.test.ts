import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { AppError } from '../errors'
import { dropReplicationSlot, listReplicationSlots } from './replication-slots'

const MONITOR = 'slot_monitor_login'
const SLOT = `dor_slot_${randomBytes(4).toString('hex')}`
let fresh: FreshDatabase

beforeAll(async () => {
  fresh = await freshDatabase('repl_slots')
  await sql`do $$ begin if not exists (select from pg_roles where rolname = ${sql.lit(MONITOR)}) then create role ${sql.id(MONITOR)}; end if; end $$`.execute(fresh.db)
  await sql`grant pg_monitor to ${sql.id(MONITOR)}`.execute(fresh.db)
  await sql`select pg_create_physical_replication_slot(${SLOT}, true)`.execute(fresh.db)
})

afterAll(async () => {
  await sql`select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = ${SLOT}`.execute(fresh.db).catch(() => {})
  await fresh?.drop()
})

describe('replication slots as a pg_monitor login', () => {
  it('sees the inactive slot and its WAL, and is told it may not drop it; the slot stays', async () => {
    const err = await fresh.db.transaction().execute(async (trx) => {
      await sql`set local role ${sql.id(MONITOR)}`.execute(trx)
      const r = await listReplicationSlots(trx)
      expect(r.inactive.find((s) => s.name === SLOT)?.retainedBytes).toBeGreaterThanOrEqual(0)
      expect(r.canDrop).toBe(false)
      expect(r.dropNote).toContain('superuser or the REPLICATION attribute')
      return dropReplicationSlot(trx, SLOT).catch((e) => e)
    })
    expect(err).toBeInstanceOf(AppError)
    expect(err).toMatchObject({ code: 'refused', message: expect.stringContaining(`${MONITOR} may not drop slots`) })
    expect((await listReplicationSlots(fresh.db)).slots.some((s) => s.name === SLOT)).toBe(true)
  })
})
