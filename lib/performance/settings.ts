import { type Kysely, sql } from 'kysely'
import { readAccess } from './access'

export interface SettingInfo {
  name: string
  /** As SHOW prints it, with its unit: "128MB", "4", "on". */
  value: string
  unit: string | null
  /** configuration file, command line, database, user, … */
  source: string
  /** Where it was set; only superusers and pg_read_all_settings see it. */
  sourceFile: string | null
  sourceLine: number | null
  /** The built-in default, in the setting's own unit (pg_settings.boot_val). */
  bootValue: string | null
  /** Changed in the configuration, waiting for a restart. */
  pendingRestart: boolean
  category: string
  description: string
  /** postmaster (restart), sighup (reload), superuser, user, … */
  context: string
}

export interface SettingAdvice {
  setting: string
  current: string
  reason: string
  /** Exact statements to apply it, when the advice has a definite value. */
  sql: string | null
  source: { kind: 'pghero' | 'postgresql'; note: string; url?: string }
}

export interface SettingsReport {
  settings: SettingInfo[]
  advice: SettingAdvice[]
  limitations: string[]
}

const DOCS = 'https://www.postgresql.org/docs/current'
const GB = 1024 ** 3
const MB = 1024 ** 2
const size = (bytes: number) => (bytes >= GB && bytes % GB === 0 ? `${bytes / GB}GB` : bytes >= MB ? `${Math.round(bytes / MB)}MB` : `${Math.round(bytes / 1024)}kB`)

/**
 * The server's settings changed from their defaults (the dashboard's own session settings left
 * out, unless `all`), and advice on the few pghero looks at.
 */
export async function readSettings(db: Kysely<any>, opts: { all?: boolean } = {}): Promise<SettingsReport> {
  const [access, list, facts, noAutovacuum] = await Promise.all([
    readAccess(db),
    sql<any>`/* dor-db-admin */
      select name, current_setting(name) as value, unit, source, sourcefile, sourceline, boot_val, pending_restart, category, short_desc, context
      from pg_settings
      where ${opts.all ?? false}::bool or pending_restart or source not in ('default', 'override', 'client', 'session')
      order by category, name
    `.execute(db),
    sql<SettingFacts>`/* dor-db-admin */
      select pg_size_bytes(current_setting('shared_buffers')) as shared_buffers,
             pg_size_bytes(current_setting('work_mem')) as work_mem,
             current_setting('random_page_cost')::float8 as random_page_cost,
             current_setting('autovacuum') as autovacuum, current_setting('track_counts') as track_counts,
             current_setting('max_connections')::int as max_connections,
             pg_database_size(current_database()) as db_size,
             d.temp_files, d.temp_bytes, d.stats_reset
      from pg_stat_database d where d.datname = current_database()
    `.execute(db),
    sql<{ qualified: string }>`/* dor-db-admin */
      select format('%I.%I', n.nspname, c.relname) as qualified
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'm')
        and exists (select 1 from unnest(c.reloptions) o where o ~* '^autovacuum_enabled=(false|off|no|n|f|0)$')
        and n.nspname not in ('pg_catalog', 'information_schema')
      order by 1
    `.execute(db),
  ])
  const advice = adviseSettings(
    facts.rows[0],
    noAutovacuum.rows.map((r) => r.qualified),
  )

  const limitations: string[] = []
  if (!access.readAllSettings) {
    limitations.push(`Settings only superusers may read (shared_preload_libraries, data_directory, …) and where settings come from are hidden from ${access.user}: grant it pg_monitor (or pg_read_all_settings).`)
  }
  return {
    settings: list.rows.map((r) => ({
      name: r.name,
      value: r.value,
      unit: r.unit,
      source: r.source,
      sourceFile: r.sourcefile,
      sourceLine: r.sourceline,
      bootValue: r.boot_val,
      pendingRestart: r.pending_restart,
      category: r.category,
      description: r.short_desc,
      context: r.context,
    })),
    advice,
    limitations,
  }
}

/** What readSettings reads for its advice; byte sizes as numbers. */
export interface SettingFacts {
  shared_buffers: number
  work_mem: number
  random_page_cost: number
  autovacuum: string
  track_counts: string
  max_connections: number
  db_size: number
  temp_files: number
  temp_bytes: number
  stats_reset: Date | null
}

/** pghero-style advice: each with its reason and, where the value is definite, the statements. */
export function adviseSettings(f: SettingFacts, noAutovacuum: string[]): SettingAdvice[] {
  const advice: SettingAdvice[] = []

  if (f.autovacuum !== 'on') {
    advice.push({
      setting: 'autovacuum',
      current: f.autovacuum,
      reason: 'Autovacuum is off: dead rows pile up, statistics go stale and old transaction IDs are not frozen, which ends in a forced shutdown to prevent wraparound.',
      sql: `ALTER SYSTEM SET autovacuum = on;\nSELECT pg_reload_conf();`,
      source: { kind: 'postgresql', note: 'Routine vacuuming', url: `${DOCS}/routine-vacuuming.html` },
    })
  }
  if (f.track_counts !== 'on') {
    advice.push({
      setting: 'track_counts',
      current: f.track_counts,
      reason: 'Without track_counts autovacuum cannot tell which tables need it, and the table and index statistics on these pages stay empty.',
      sql: `ALTER SYSTEM SET track_counts = on;\nSELECT pg_reload_conf();`,
      source: { kind: 'postgresql', note: 'The cumulative statistics system', url: `${DOCS}/runtime-config-statistics.html` },
    })
  }
  if (noAutovacuum.length) {
    advice.push({
      setting: 'autovacuum_enabled',
      current: `off on ${noAutovacuum.length} table${noAutovacuum.length > 1 ? 's' : ''}`,
      reason: `Autovacuum is disabled on ${noAutovacuum.join(', ')}: they are vacuumed only by hand.`,
      sql: noAutovacuum.map((t) => `ALTER TABLE ${t} RESET (autovacuum_enabled);`).join('\n'),
      source: { kind: 'postgresql', note: 'Storage parameters: autovacuum_enabled', url: `${DOCS}/sql-createtable.html#SQL-CREATETABLE-STORAGE-PARAMETERS` },
    })
  }
  if (f.shared_buffers <= 128 * MB && f.db_size > f.shared_buffers) {
    advice.push({
      setting: 'shared_buffers',
      current: size(f.shared_buffers),
      reason: `shared_buffers is at the default 128 MB while this database alone is ${size(f.db_size)}. On a dedicated server the PostgreSQL documentation suggests about 25 % of the memory to start with (then restart).`,
      sql: null,
      source: { kind: 'postgresql', note: 'Resource consumption: shared_buffers', url: `${DOCS}/runtime-config-resource.html#GUC-SHARED-BUFFERS` },
    })
  }
  if (f.temp_files > 0) {
    const doubled = size(f.work_mem * 2)
    advice.push({
      setting: 'work_mem',
      current: size(f.work_mem),
      reason: `${f.temp_files} temporary files (${size(f.temp_bytes)}) were written ${f.stats_reset ? `since ${f.stats_reset.toISOString().slice(0, 10)}` : 'since statistics began'}: sorts and hashes spilled to disk. Raise work_mem for the statements that spill (Slow queries, sorted by temp blocks), or globally step by step: each sort or hash of each connection may use that much (max_connections × work_mem = ${size(f.max_connections * f.work_mem * 2)} at ${doubled}).`,
      sql: `ALTER SYSTEM SET work_mem = '${doubled}';\nSELECT pg_reload_conf();`,
      source: { kind: 'postgresql', note: 'Resource consumption: work_mem', url: `${DOCS}/runtime-config-resource.html#GUC-WORK-MEM` },
    })
  }
  if (f.random_page_cost >= 4) {
    advice.push({
      setting: 'random_page_cost',
      current: String(f.random_page_cost),
      reason: 'The default 4 models spinning disks. On SSDs, or when the data fits in memory, the PostgreSQL documentation suggests a lower value such as 1.1, so that the planner uses indexes where they pay off.',
      sql: `ALTER SYSTEM SET random_page_cost = 1.1;\nSELECT pg_reload_conf();`,
      source: { kind: 'postgresql', note: 'Query planning: random_page_cost', url: `${DOCS}/runtime-config-query.html#GUC-RANDOM-PAGE-COST` },
    })
  }

  return advice
}
