import { type Kysely, sql } from 'kysely'

/** Migration tables other tools keep in the target; shown read-only. */
export type ForeignTool = 'alembic' | 'flyway' | 'prisma' | 'knex' | 'kysely' | 'rails' | 'golang-migrate' | 'sqitch'

/** How each tool is named to people. */
export const TOOL_LABEL: Record<ForeignTool, string> = {
  alembic: 'Alembic',
  flyway: 'Flyway',
  prisma: 'Prisma',
  knex: 'Knex',
  kysely: 'another Kysely app',
  rails: 'Rails',
  'golang-migrate': 'golang-migrate',
  sqitch: 'Sqitch',
}

export interface ForeignHistory {
  tool: ForeignTool
  schema: string
  table: string
  /** The current revision(s): Alembic can hold several rows (one per head). */
  current: string[]
  /** Newest entries first, as the tool recorded them. */
  entries: { id: string; description: string | null; appliedAt: Date | null; success: boolean | null }[]
  total: number
}

interface Candidate {
  schema: string
  table: string
  columns: string[]
}

function toolOf(c: Candidate, ownTable: string): ForeignTool | null {
  const has = (...cols: string[]) => cols.every((x) => c.columns.includes(x))
  if (c.table === 'alembic_version' && has('version_num')) return 'alembic'
  if (has('installed_rank', 'version', 'script', 'success')) return 'flyway'
  if (c.table === '_prisma_migrations' && has('migration_name', 'finished_at')) return 'prisma'
  if (has('name', 'batch', 'migration_time')) return 'knex'
  if (c.table !== ownTable && has('name', 'timestamp') && c.columns.length === 2) return 'kysely'
  if (c.table === 'schema_migrations' && has('version', 'dirty')) return 'golang-migrate'
  if (c.table === 'schema_migrations' && has('version')) return 'rails'
  if (c.table === 'changes' && has('change_id', 'change', 'project', 'committed_at')) return 'sqitch'
  return null
}

const LIMIT = 50

async function readEntries(db: Kysely<any>, tool: ForeignTool, c: Candidate): Promise<Omit<ForeignHistory, 'tool' | 'schema' | 'table'>> {
  const t = sql.id(c.schema, c.table)
  const count = async () =>
    Number((await sql<{ n: number }>`select count(*)::int as n from ${t}`.execute(db)).rows[0].n)
  switch (tool) {
    case 'alembic': {
      const { rows } = await sql<{ v: string }>`select version_num as v from ${t} order by version_num`.execute(db)
      return {
        current: rows.map((r) => r.v),
        entries: rows.map((r) => ({ id: r.v, description: 'head', appliedAt: null, success: null })),
        total: rows.length,
      }
    }
    case 'flyway': {
      const { rows } = await sql<{ id: string; d: string; at: Date; ok: boolean }>`
        select coalesce(version, '(repeatable)') as id, description as d, installed_on as at, success as ok
        from ${t} order by installed_rank desc limit ${LIMIT}`.execute(db)
      return { current: rows.filter((r) => r.ok).slice(0, 1).map((r) => r.id), entries: rows.map((r) => ({ id: r.id, description: r.d, appliedAt: r.at, success: r.ok })), total: await count() }
    }
    case 'prisma': {
      const { rows } = await sql<{ id: string; at: Date | null; rolled: Date | null }>`
        select migration_name as id, finished_at as at, rolled_back_at as rolled
        from ${t} order by started_at desc limit ${LIMIT}`.execute(db)
      return {
        current: rows.filter((r) => r.at && !r.rolled).slice(0, 1).map((r) => r.id),
        entries: rows.map((r) => ({ id: r.id, description: r.rolled ? 'rolled back' : null, appliedAt: r.at, success: r.at !== null && !r.rolled })),
        total: await count(),
      }
    }
    case 'knex': {
      const { rows } = await sql<{ id: string; batch: number; at: Date }>`
        select name as id, batch, migration_time as at from ${t} order by id desc limit ${LIMIT}`.execute(db)
      return { current: rows.slice(0, 1).map((r) => r.id), entries: rows.map((r) => ({ id: r.id, description: `batch ${r.batch}`, appliedAt: r.at, success: true })), total: await count() }
    }
    case 'kysely': {
      const { rows } = await sql<{ id: string; at: string }>`select name as id, timestamp as at from ${t} order by name desc limit ${LIMIT}`.execute(db)
      return { current: rows.slice(0, 1).map((r) => r.id), entries: rows.map((r) => ({ id: r.id, description: null, appliedAt: new Date(r.at), success: true })), total: await count() }
    }
    case 'sqitch': {
      const { rows } = await sql<{ id: string; note: string | null; at: Date }>`
        select change as id, note, committed_at as at from ${t} order by committed_at desc limit ${LIMIT}`.execute(db)
      return { current: rows.slice(0, 1).map((r) => r.id), entries: rows.map((r) => ({ id: r.id, description: r.note || null, appliedAt: r.at, success: true })), total: await count() }
    }
    case 'rails':
    case 'golang-migrate': {
      const { rows } = await sql<{ id: string }>`select version::text as id from ${t} order by version desc limit ${LIMIT}`.execute(db)
      return { current: rows.slice(0, 1).map((r) => r.id), entries: rows.map((r) => ({ id: r.id, description: null, appliedAt: null, success: true })), total: await count() }
    }
  }
}

/**
 * Finds the migration tables of other tools in the target (Alembic, Flyway, Prisma, Knex, another
 * app's Kysely table, Rails, golang-migrate, Sqitch) by their shape in the catalog, and reads them.
 */
export async function readForeignHistories(db: Kysely<any>, ownTable: string): Promise<ForeignHistory[]> {
  const { rows } = await sql<Candidate>`
    select n.nspname as schema, c.relname as table,
           array(select a.attname::text from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped order by a.attnum) as columns
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p') and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
      and (c.relname in ('alembic_version', 'flyway_schema_history', '_prisma_migrations', 'knex_migrations', 'schema_migrations', 'changes')
           or c.relname like '%migration%')
  `.execute(db)
  const out: ForeignHistory[] = []
  // Code-point order, the same on every server whatever its collation.
  const byName = (a: Candidate, b: Candidate) => (a.schema + '\0' + a.table < b.schema + '\0' + b.table ? -1 : 1)
  for (const c of rows.sort(byName)) {
    const tool = toolOf(c, ownTable)
    if (!tool) continue
    try {
      out.push({ tool, schema: c.schema, table: c.table, ...(await readEntries(db, tool, c)) })
    } catch {
      // Unreadable for this role or not the shape we assumed: not worth failing the page over.
    }
  }
  return out
}
