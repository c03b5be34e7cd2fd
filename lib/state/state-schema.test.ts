import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { migrateStateDb } from './migrate-state'
import { STATE_SCHEMA_FILE, STATE_TYPES_COMMAND, generateStateSchema } from './state-schema-codegen'

let fresh: FreshDatabase

beforeAll(async () => {
  fresh = await freshDatabase('state_types')
  await migrateStateDb(fresh.db)
})
afterAll(async () => {
  await fresh?.drop()
})

describe('db/state-schema.ts', () => {
  it('is what kysely-codegen makes of the migrated state database', async () => {
    const generated = await generateStateSchema(fresh.url)
    const committed = fs.readFileSync(path.resolve(import.meta.dirname, '../..', STATE_SCHEMA_FILE), 'utf8')
    expect(generated).toContain('export interface StateDatabase {')
    expect(generated).not.toMatch(/pgboss|dbadmin_migration/)
    const stale = generated !== committed
    expect(stale, `${STATE_SCHEMA_FILE} is stale: a state migration changed the schema. Run \`${STATE_TYPES_COMMAND}\` and commit the result.`).toBe(false)
  })
})
