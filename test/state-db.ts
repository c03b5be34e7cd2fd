import { createUser } from '../lib/auth/users'
import type { Role } from '../lib/auth/permissions'
import { migrateStateDb } from '../lib/state/migrate-state'
import { type FreshDatabase, freshDatabase } from './fresh-db'

/** A fresh, migrated state database with one user of each role. */
export async function freshStateDb(): Promise<FreshDatabase & { users: Record<Role, { id: string; email: string }> }> {
  const fresh = await freshDatabase('state')
  await migrateStateDb(fresh.db)
  const users = {} as Record<Role, { id: string; email: string }>
  for (const role of ['admin', 'operator', 'viewer'] as const) {
    const u = await createUser(fresh.db, { email: `${role}@test.local`, role, password: `${role}-password-123` })
    users[role] = { id: u.id, email: u.email }
  }
  return Object.assign(fresh, { users })
}
