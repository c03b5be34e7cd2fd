import { sql } from 'kysely'
import { inject } from 'vitest'
import { createDb } from '../lib/db/connect'
import { type RestrictedReader, restrictedReader } from '../lib/db/reader-login'
import { buildDemoDatabase } from '../lib/demo/prepare-demo'
import { type FreshDatabase, freshDatabase } from './fresh-db'
import { freshStateDb } from './state-db'

export interface RuleReaderDbs {
  target: FreshDatabase
  state: Awaited<ReturnType<typeof freshStateDb>>
  reader: RestrictedReader
  /** Drops both databases and the reader's role, which is cluster-wide and would outlive them. */
  close(): Promise<void>
}

/**
 * A demo target reached as the test cluster's superuser, a state database, and the rule reader the
 * dashboard creates itself when RULE_READER_DATABASE_URL is not set (as on the demo), under a role
 * name of the test's own.
 */
export async function openRuleReaderDbs(name: string, roleName: string): Promise<RuleReaderDbs> {
  const target = await freshDatabase(name)
  const state = await freshStateDb()
  await buildDemoDatabase(target.db)
  const reader = restrictedReader({ target: target.db, targetUrl: target.url, state: state.db, roleName })
  return {
    target,
    state,
    reader,
    async close() {
      await target.drop()
      await state.drop()
      const cluster = createDb(inject('pgAdminUrl'), { max: 1 })
      await sql`drop role if exists ${sql.id(roleName)}`.execute(cluster)
      await cluster.destroy()
    },
  }
}
