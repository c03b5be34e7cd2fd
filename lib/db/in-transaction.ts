import type { Kysely, Transaction } from 'kysely'

/**
 * Runs `work` in a transaction: the caller's, when `db` is one already (a change the action wrapper
 * runs in one transaction with its audit record), else a new one. Kysely refuses to nest them.
 */
export function inTransaction<DB, T>(db: Kysely<DB>, work: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db as Transaction<DB>) : db.transaction().execute(work)
}
