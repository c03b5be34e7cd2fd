import { type Kysely, sql } from 'kysely'

/**
 * Runs `fn` in a state-database transaction holding an advisory lock named by `key`, so that
 * "is one already running? no: insert mine" cannot interleave between two requests.
 */
export async function underStartLock<T>(state: Kysely<any>, key: string, fn: (trx: Kysely<any>) => Promise<T>): Promise<T> {
  return state.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${key}))`.execute(trx)
    return fn(trx)
  })
}
