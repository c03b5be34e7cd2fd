import { type Kysely, sql } from 'kysely'
import { createDb } from '../db/connect'
import type { TableName, TableRowCount } from './types'

export interface HeldSnapshot {
  /** pg_export_snapshot()'s id, for pg_dump --snapshot. */
  id: string
  serverVersion: string
  serverVersionNum: number
  database: string
  /** Counts each table's rows exactly, in the exported snapshot: the rows pg_dump writes. */
  countRows(tables: TableName[], signal?: AbortSignal): Promise<TableRowCount[]>
  /** Ends the transaction (the snapshot must live until pg_dump has imported it). */
  release(): Promise<void>
}

/**
 * Opens a REPEATABLE READ transaction on the target and exports its snapshot. pg_dump imports it,
 * so the row counts recorded with a backup are those of the very rows it holds, whatever is written
 * meanwhile: a restore drill can then demand equality, not "about the same".
 */
export async function holdSnapshot(targetUrl: string): Promise<HeldSnapshot> {
  const db = createDb(targetUrl, { max: 1, applicationName: 'dbadmin backup (snapshot)' })
  let backendPid = 0
  let release!: () => void
  const released = new Promise<void>((r) => (release = r))
  let ready!: (v: { conn: Kysely<any>; info: Omit<HeldSnapshot, 'countRows' | 'release'> }) => void
  let failed!: (e: unknown) => void
  const opened = new Promise<{ conn: Kysely<any>; info: Omit<HeldSnapshot, 'countRows' | 'release'> }>((res, rej) => {
    ready = res
    failed = rej
  })
  const done = db
    .connection()
    .execute(async (conn) => {
      await sql`begin isolation level repeatable read read only`.execute(conn)
      try {
        // No statement timeout for the counts; row security off, as pg_dump has it (it fails rather than dump less).
        await sql`set local statement_timeout = 0`.execute(conn)
        await sql`set local row_security = off`.execute(conn)
        // The counts run beside pg_dump and need only finish before it does: one process for them
        // leaves the rest of the machine to pg_dump and its COPY instead of two more parallel workers.
        await sql`set local max_parallel_workers_per_gather = 0`.execute(conn)
        const { rows } = await sql<{ id: string; v: string; n: number; db: string; pid: number }>`
          select pg_export_snapshot() as id, current_setting('server_version') as v,
                 current_setting('server_version_num')::int as n, current_database() as db, pg_backend_pid() as pid
        `.execute(conn)
        backendPid = rows[0].pid
        ready({ conn, info: { id: rows[0].id, serverVersion: rows[0].v, serverVersionNum: rows[0].n, database: rows[0].db } })
        await released
      } finally {
        await sql`rollback`.execute(conn).catch(() => {})
      }
    })
    .catch((e) => failed(e))
  let counting: Promise<unknown> = Promise.resolve()
  try {
    const { conn, info } = await opened
    return {
      ...info,
      countRows(tables, signal) {
        // A cancelled backup must not wait for a count of a large table to finish.
        const cancel = () => {
          const c = createDb(targetUrl, { max: 1 })
          void sql`select pg_cancel_backend(${backendPid})`.execute(c).catch(() => {}).finally(() => c.destroy())
        }
        signal?.addEventListener('abort', cancel, { once: true })
        const run = (async () => {
          const out: TableRowCount[] = []
          for (const t of tables) {
            if (signal?.aborted) break
            const { rows } = await sql<{ n: string }>`select count(*) as n from only ${sql.id(t.schema, t.table)}`.execute(conn)
            out.push({ schema: t.schema, table: t.table, rows: Number(rows[0].n) })
          }
          return out
        })().finally(() => signal?.removeEventListener('abort', cancel))
        counting = run.catch(() => {})
        return run
      },
      async release() {
        await counting
        release()
        await done
        await db.destroy()
      },
    }
  } catch (e) {
    await db.destroy().catch(() => {})
    throw e
  }
}
