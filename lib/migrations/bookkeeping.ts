import type { SchemaChange } from '../schema/diff'

/** Migration tools' own tables: bookkeeping, not schema. */
export const BOOKKEEPING = new Set([
  'alembic_version',
  'flyway_schema_history',
  '_prisma_migrations',
  'knex_migrations',
  'knex_migrations_lock',
  'schema_migrations',
])

/** Schema changes that are not about migration bookkeeping tables (other tools' and `own`). */
export function withoutBookkeeping(changes: SchemaChange[], own: string[] = []): SchemaChange[] {
  const skip = new Set([...BOOKKEEPING, ...own])
  return changes.filter((c) => !skip.has(c.table ?? (c.object === 'table' ? c.name : '')))
}

/** One line per change, for messages and the CLI. */
export function describeChange(c: SchemaChange): string {
  return `${c.change} ${c.object.replace('_', ' ')} ${c.table ? `${c.schema}.${c.table}` : c.schema}.${c.name}${c.detail ? `: ${c.detail}` : ''}`
}
