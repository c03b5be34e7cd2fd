import { z } from 'zod'

const name = z.string().min(1, { message: 'is required' }).max(63 * 4, { message: 'is too long' })

/**
 * A maintenance task as a form or the CLI gives it, checked before anything runs; the names are
 * catalog names (any characters), quoted by the server when the statement is built.
 */
export const MaintenanceTaskInput = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('vacuum'), schema: name, table: name, analyze: z.boolean().optional() }),
  z.object({ kind: z.literal('analyze'), schema: name, table: name }),
  z.object({ kind: z.literal('reindex'), target: z.enum(['table', 'index']), schema: name, name }),
  z.object({ kind: z.literal('create-index'), schema: name, table: name, columns: z.array(name).min(1, { message: 'give at least one column' }).max(32) }),
  z.object({ kind: z.literal('drop-index'), schema: name, name }),
])

export function describeTask(t: z.infer<typeof MaintenanceTaskInput>): string {
  switch (t.kind) {
    case 'vacuum':
      return `${t.analyze ? 'VACUUM (ANALYZE)' : 'VACUUM'} ${t.schema}.${t.table}`
    case 'analyze':
      return `ANALYZE ${t.schema}.${t.table}`
    case 'reindex':
      return `REINDEX ${t.target.toUpperCase()} CONCURRENTLY ${t.schema}.${t.name}`
    case 'create-index':
      return `CREATE INDEX CONCURRENTLY ON ${t.schema}.${t.table} (${t.columns.join(', ')})`
    case 'drop-index':
      return `DROP INDEX CONCURRENTLY ${t.schema}.${t.name}`
  }
}
