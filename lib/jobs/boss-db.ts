import { createHash } from 'node:crypto'
import { CompiledQuery, type Kysely } from 'kysely'
import type PgBoss from 'pg-boss'
import type { JobKind } from './job-kind'

/** pg-boss's tables live in this schema of the state database. */
export const JOB_SCHEMA = 'pgboss'

/**
 * The queue of one kind for one target: several dashboards with different targets may share a
 * state database, and a worker must only take its own target's jobs. The hash keeps names short
 * and free of the key's characters.
 */
export function queueName(kind: Pick<JobKind, 'queue'>, targetKey: string): string {
  return `${kind.queue}__${createHash('sha256').update(targetKey).digest('hex').slice(0, 12)}`
}

/**
 * pg-boss's database interface over a Kysely instance or transaction: a job sent through it is
 * inserted in the caller's transaction, so a job row and its queue entry exist together or not at all.
 */
export function bossDb(db: Kysely<any>): PgBoss.Db {
  return {
    async executeSql(text: string, values: unknown[] = []) {
      const r = await db.executeQuery(CompiledQuery.raw(text, values))
      return { rows: r.rows as any[] }
    },
  }
}
