import { type Kysely, sql } from 'kysely'
import { AppError } from '../errors'

/** A replication slot and the WAL it keeps on disk: pghero's inactive-slot check. */
export interface ReplicationSlot {
  name: string
  type: 'physical' | 'logical'
  /** The database of a logical slot; null for a physical one (it serves the whole cluster). */
  database: string | null
  plugin: string | null
  active: boolean
  activePid: number | null
  /** WAL the server keeps for it since restart_lsn; null when it reserves none (never used). */
  retainedBytes: number | null
  /** PostgreSQL 13+: reserved, extended, unreserved or lost. */
  walStatus: string | null
  temporary: boolean
}

export interface ReplicationSlots {
  slots: ReplicationSlot[]
  /** Inactive slots: nothing consumes their WAL, which piles up until the disk is full. */
  inactive: ReplicationSlot[]
  /** Whether this login may drop slots (superuser or REPLICATION), and why not. */
  canDrop: boolean
  dropNote: string | null
}

/** Every slot of the cluster with its retained WAL; pg_replication_slots is readable by any role. */
export async function listReplicationSlots(db: Kysely<any>): Promise<ReplicationSlots> {
  const [{ rows }, who] = await Promise.all([
    sql<any>`/* dor-db-admin */
      select s.slot_name as name, s.slot_type as type, s.database, s.plugin, s.active, s.active_pid, s.temporary,
             (to_jsonb(s) ->> 'wal_status') as wal_status,
             pg_wal_lsn_diff(case when pg_is_in_recovery() then pg_last_wal_receive_lsn() else pg_current_wal_lsn() end, s.restart_lsn)::float8 as retained_bytes
      from pg_replication_slots s
      order by s.active, retained_bytes desc nulls last, s.slot_name
    `.execute(db),
    sql<{ me: string; allowed: boolean }>`/* dor-db-admin */
      select current_user as me, rolsuper or rolreplication as allowed from pg_roles where rolname = current_user`.execute(db),
  ])
  const slots = rows.map(
    (r): ReplicationSlot => ({
      name: r.name,
      type: r.type,
      database: r.database,
      plugin: r.plugin,
      active: r.active,
      activePid: r.active_pid,
      retainedBytes: r.retained_bytes === null ? null : Math.max(0, Number(r.retained_bytes)),
      walStatus: r.wal_status,
      temporary: r.temporary,
    }),
  )
  const me = who.rows[0]
  return {
    slots,
    inactive: slots.filter((s) => !s.active),
    canDrop: !!me?.allowed,
    dropNote: me?.allowed ? null : `The dashboard's login ${me?.me ?? ''} may not drop slots: that needs superuser or the REPLICATION attribute.`,
  }
}

/**
 * pg_drop_replication_slot for an inactive slot. A standby or subscriber that still needs it must
 * then be re-seeded (pg_basebackup, or a new subscription copy): the page says so before confirming.
 */
export async function dropReplicationSlot(db: Kysely<any>, name: string): Promise<{ name: string; freedBytes: number | null }> {
  const { slots, canDrop, dropNote } = await listReplicationSlots(db)
  const slot = slots.find((s) => s.name === name)
  if (!slot) throw new AppError('not_found', `There is no replication slot named ${name}.`)
  if (slot.active) throw new AppError('refused', `Slot ${name} is in use (pid ${slot.activePid}): stop its consumer first; an active slot is not dropped.`)
  if (!canDrop) throw new AppError('refused', dropNote ?? 'This login may not drop replication slots.')
  try {
    await sql`/* dor-db-admin */ select pg_drop_replication_slot(${name})`.execute(db)
  } catch (e) {
    const err = e as { code?: string; message?: string }
    // 55006: it became active meanwhile; 42704: already gone; 55000: a logical slot of another database.
    if (err.code === '55006' || err.code === '42704' || err.code === '55000') throw new AppError(err.code === '42704' ? 'not_found' : 'refused', err.message ?? 'refused', { cause: e })
    throw e
  }
  return { name, freedBytes: slot.retainedBytes }
}
