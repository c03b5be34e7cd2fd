import { randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import { inject } from 'vitest'
import { createDb, withDatabase } from '../lib/db/connect'
import { dropDatabase, ensureDatabase } from '../lib/runtime/cluster-databases'

export interface FreshDatabase {
  url: string
  db: Kysely<any>
  drop(): Promise<void>
}

/** A brand-new empty database on the test cluster; each test file makes its own. */
export async function freshDatabase(prefix = 't'): Promise<FreshDatabase> {
  const adminUrl = inject('pgAdminUrl')
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`
  await ensureDatabase(adminUrl, name)
  const url = withDatabase(adminUrl, name)
  const db = createDb(url, { max: 4 })
  return {
    url,
    db,
    async drop() {
      await db.destroy()
      await dropDatabase(adminUrl, name)
    },
  }
}
