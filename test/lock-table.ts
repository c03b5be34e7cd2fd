import { type Kysely, sql } from 'kysely'

/**
 * Holds an ACCESS EXCLUSIVE lock on a table (through `locker`, a connection of its own) until
 * release() is called: a job reading that table waits there, so tests can act while it runs.
 */
export async function lockTable(locker: Kysely<any>, table: string): Promise<{ release: () => Promise<void> }> {
  let release!: () => void
  const held = new Promise<void>((resolve) => (release = resolve))
  let locked!: () => void
  const isLocked = new Promise<void>((resolve) => (locked = resolve))
  const done = locker.transaction().execute(async (trx) => {
    await sql`lock table ${sql.id(table)} in access exclusive mode`.execute(trx)
    locked()
    await held
  })
  await isLocked
  return {
    release: async () => {
      release()
      await done
    },
  }
}
