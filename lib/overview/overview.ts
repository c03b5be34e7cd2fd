import { type Kysely, sql } from 'kysely'

export interface TargetIdentity {
  database: string
  serverVersion: string
  /** Shown in every page header so that nobody mistakes production for the demo. */
  host: string
  port: number
}

export async function getTargetIdentity(db: Kysely<any>, where: { host: string; port: number }): Promise<TargetIdentity> {
  const { rows } = await sql<{ database: string; version: string }>`
    select current_database() as database, current_setting('server_version') as version
  `.execute(db)
  return { database: rows[0].database, serverVersion: rows[0].version, host: where.host, port: where.port }
}

export interface TableCount {
  schema: string
  table: string
  rows: number
  /** false when the number is the planner's estimate (large tables are not counted exactly). */
  exact: boolean
}

export interface Overview {
  serverVersion: string
  startedAt: Date
  uptimeSeconds: number
  databaseSizeBytes: number
  connectionsUsed: number
  connectionsMax: number
  tableCount: number
  dorTables: TableCount[]
}

/** Table names the DoR app uses, with the spellings its production drifted to. */
export const DOR_TABLE_NAMES = [
  'user',
  'users',
  'meeting',
  'meetings',
  'agenda_item',
  'agendaitem',
  'fileupload',
  'file_upload',
  'registration_request',
  'registrationrequest',
]

/** Tables under this estimate are counted exactly; above it the estimate is shown as such. */
export const EXACT_COUNT_LIMIT = 200_000

export async function getOverview(db: Kysely<any>): Promise<Overview> {
  const { rows } = await sql<{
    version: string
    started_at: Date
    uptime: number
    size: number
    used: number
    max: number
    tables: number
  }>`
    select current_setting('server_version') as version,
           pg_postmaster_start_time() as started_at,
           extract(epoch from now() - pg_postmaster_start_time())::float8 as uptime,
           pg_database_size(current_database()) as size,
           (select count(*) from pg_stat_activity where backend_type = 'client backend')::int as used,
           current_setting('max_connections')::int as max,
           (select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace
             where c.relkind in ('r', 'p') and not c.relispartition
               and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_%')::int as tables
  `.execute(db)
  const r = rows[0]
  return {
    serverVersion: r.version,
    startedAt: r.started_at,
    uptimeSeconds: Math.round(r.uptime),
    databaseSizeBytes: Number(r.size),
    connectionsUsed: r.used,
    connectionsMax: r.max,
    tableCount: r.tables,
    dorTables: await countDorTables(db),
  }
}

/** Row counts of the DoR tables found in the live catalog (never assumed from the docs). */
export async function countDorTables(db: Kysely<any>): Promise<TableCount[]> {
  // A monitoring login may not read the tables: it gets the statistics' estimates instead of counts.
  const found = await sql<{ schema: string; table: string; estimate: number; live: number; readable: boolean }>`
    select n.nspname as schema, c.relname as table, greatest(c.reltuples, 0)::float8 as estimate,
      coalesce(pg_catalog.pg_stat_get_live_tuples(c.oid), 0)::float8 as live,
      pg_catalog.has_table_privilege(c.oid, 'SELECT') as readable
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p') and c.relname = any(${DOR_TABLE_NAMES})
      and n.nspname not in ('pg_catalog', 'information_schema')
    order by n.nspname, c.relname
  `.execute(db)
  const out: TableCount[] = []
  for (const t of found.rows) {
    // reltuples is -1 (here 0) before the first ANALYZE: count small or never-analysed tables exactly.
    if (t.estimate < EXACT_COUNT_LIMIT && t.readable) {
      const { rows } = await sql<{ n: number }>`select count(*)::int8 as n from ${sql.id(t.schema, t.table)}`.execute(db)
      out.push({ schema: t.schema, table: t.table, rows: Number(rows[0].n), exact: true })
    } else {
      out.push({ schema: t.schema, table: t.table, rows: Math.round(t.readable ? t.estimate : Math.max(t.estimate, t.live)), exact: false })
    }
  }
  return out
}
