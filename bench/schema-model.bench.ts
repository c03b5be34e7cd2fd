/**
 * Schema model at scale: `readSchemaModel` on 5,000 tables × 10 columns against ONE raw catalog
 * query returning the same facts through psql, measured alternately in the same run.
 *   npx tsx bench/schema-model.bench.ts [--database-url URL] [--tables 5000] [--rounds 5]
 * Default database: schema_bench in the embedded cluster. The wide schema is built when absent.
 * Target: ours / psql ≤ 1.5. Always exits 0 unless it could not run: it measures, it does not test.
 */
import { execFile } from 'node:child_process'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { type Kysely, sql } from 'kysely'
import { createDb, describeUrl } from '../lib/db/connect'
import { containsPattern } from '../lib/db/like-pattern'
import { pgToolEnv } from '../lib/db/pg-tool-env'
import { readSchemaModel } from '../lib/schema/catalog'
import { listRelations } from '../lib/schema/relation-list'
import type { RelationInfo, SchemaModel } from '../lib/schema/types'
import { openBenchDatabase } from './bench-database'
import { createWideSchema, describeWide, WIDE_MARKER_COLUMN, wideSchemaNames } from './wide-schema'
import { median, ms as formatMs, runBenchmark } from './bench-kit'

const TARGET = 1.5
const USER_SCHEMA = `n.nspname !~ '^pg_' and n.nspname <> 'information_schema'`
const REL_KINDS = `c.relkind in ('r', 'p', 'v', 'm', 'f')`

/** Every fact the schema model holds, one json_agg per kind of object. */
const RAW_PARTS: Record<string, string> = {
  schemas: `select json_agg(json_build_object('name', n.nspname, 'owner', pg_get_userbyid(n.nspowner)))
              from pg_namespace n where ${USER_SCHEMA} and n.nspname !~ '^pg_(toast_)?temp_'`,
  relations: `select json_agg(json_build_object(
      'oid', c.oid, 'schema', n.nspname, 'name', c.relname, 'kind', c.relkind, 'owner', pg_get_userbyid(c.relowner),
      'rows', case when c.reltuples >= 0 then c.reltuples end,
      'total_bytes', sz.t + sz.i, 'table_bytes', sz.t, 'index_bytes', sz.i,
      'comment', d.description, 'parent', pc.relname, 'parent_schema', pn.nspname,
      'view', case when c.relkind in ('v', 'm') then pg_get_viewdef(c.oid) end))
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    left join lateral (select pg_table_size(c.oid) as t, pg_indexes_size(c.oid) as i where c.relkind in ('r', 'm', 'p')) sz on true
    left join pg_description d on d.objoid = c.oid and d.classoid = 'pg_class'::regclass and d.objsubid = 0
    left join pg_inherits i on c.relispartition and i.inhrelid = c.oid
    left join pg_class pc on pc.oid = i.inhparent left join pg_namespace pn on pn.oid = pc.relnamespace
    where ${REL_KINDS} and ${USER_SCHEMA}`,
  columns: `select json_agg(json_build_object(
      'rel', a.attrelid, 'name', a.attname, 'num', a.attnum, 'type', format_type(a.atttypid, a.atttypmod),
      'type_schema', tn.nspname, 'type_name', t.typname, 'typtype', t.typtype, 'typcategory', t.typcategory,
      'not_null', a.attnotnull, 'default', pg_get_expr(ad.adbin, ad.adrelid), 'identity', a.attidentity,
      'generated', a.attgenerated, 'comment', d.description))
    from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
    join pg_type t on t.oid = a.atttypid join pg_namespace tn on tn.oid = t.typnamespace
    left join pg_attrdef ad on ad.adrelid = a.attrelid and ad.adnum = a.attnum
    left join pg_description d on d.objoid = a.attrelid and d.classoid = 'pg_class'::regclass and d.objsubid = a.attnum
    where a.attnum > 0 and not a.attisdropped and ${REL_KINDS} and ${USER_SCHEMA}`,
  constraints: `select json_agg(json_build_object(
      'rel', con.conrelid, 'name', con.conname, 'type', con.contype, 'definition', pg_get_constraintdef(con.oid),
      'validated', con.convalidated, 'deferrable', con.condeferrable, 'deferred', con.condeferred,
      'columns', (select array_agg(a.attname order by k.ord) from unnest(con.conkey) with ordinality k(attnum, ord)
                  join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.attnum),
      'ref_schema', fn.nspname, 'ref_table', fc.relname,
      'ref_columns', (select array_agg(a.attname order by k.ord) from unnest(con.confkey) with ordinality k(attnum, ord)
                      join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.attnum),
      'on_delete', con.confdeltype, 'on_update', con.confupdtype))
    from pg_constraint con join pg_class c on c.oid = con.conrelid join pg_namespace n on n.oid = c.relnamespace
    left join pg_class fc on fc.oid = con.confrelid left join pg_namespace fn on fn.oid = fc.relnamespace
    where con.contype in ('p', 'u', 'c', 'x', 'f') and ${USER_SCHEMA}`,
  indexes: `select json_agg(json_build_object(
      'rel', i.indrelid, 'name', ic.relname, 'definition', pg_get_indexdef(i.indexrelid), 'method', am.amname,
      'unique', i.indisunique, 'primary', i.indisprimary, 'valid', i.indisvalid, 'partial', i.indpred is not null,
      'size', pg_relation_size(i.indexrelid), 'scans', s.idx_scan, 'constraint', con.conname,
      'columns', (select array_agg(coalesce(a.attname::text, pg_get_indexdef(i.indexrelid, k.ord::int, true)) order by k.ord)
                  from unnest(i.indkey::int2[]) with ordinality k(attnum, ord)
                  left join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum and k.attnum <> 0
                  where k.ord <= i.indnkeyatts)))
    from pg_index i join pg_class ic on ic.oid = i.indexrelid join pg_class c on c.oid = i.indrelid
    join pg_namespace n on n.oid = c.relnamespace join pg_am am on am.oid = ic.relam
    left join pg_stat_all_indexes s on s.indexrelid = i.indexrelid
    left join pg_constraint con on con.conindid = i.indexrelid and con.conrelid = i.indrelid and con.contype in ('p', 'u', 'x')
    where ${USER_SCHEMA}`,
  triggers: `select json_agg(json_build_object('rel', t.tgrelid, 'name', t.tgname,
      'definition', pg_get_triggerdef(t.oid, true), 'enabled', t.tgenabled, 'function', p.proname))
    from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
    join pg_proc p on p.oid = t.tgfoid where not t.tgisinternal and ${USER_SCHEMA}`,
  enums: `select json_agg(json_build_object('schema', n.nspname, 'name', t.typname,
      'values', (select array_agg(e.enumlabel order by e.enumsortorder) from pg_enum e where e.enumtypid = t.oid),
      'used_by', (select json_agg(json_build_object('schema', cn.nspname, 'table', c.relname, 'column', a.attname))
                  from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace cn on cn.oid = c.relnamespace
                  where a.atttypid in (t.oid, t.typarray) and a.attnum > 0 and not a.attisdropped and ${REL_KINDS})))
    from pg_type t join pg_namespace n on n.oid = t.typnamespace where t.typtype = 'e' and ${USER_SCHEMA}`,
  sequences: `select json_agg(json_build_object('schema', n.nspname, 'name', c.relname,
      'type', format_type(s.seqtypid, null), 'start', s.seqstart, 'min', s.seqmin, 'max', s.seqmax,
      'increment', s.seqincrement, 'cycle', s.seqcycle,
      'last_value', case when has_sequence_privilege(c.oid, 'SELECT,USAGE') then pg_sequence_last_value(c.oid) end,
      'owner_schema', dn.nspname, 'owner_table', dc.relname, 'owner_column', da.attname))
    from pg_sequence s join pg_class c on c.oid = s.seqrelid join pg_namespace n on n.oid = c.relnamespace
    left join pg_depend d on d.classid = 'pg_class'::regclass and d.objid = c.oid
      and d.refclassid = 'pg_class'::regclass and d.deptype in ('a', 'i')
    left join pg_class dc on dc.oid = d.refobjid left join pg_namespace dn on dn.oid = dc.relnamespace
    left join pg_attribute da on da.attrelid = d.refobjid and da.attnum = d.refobjsubid
    where ${USER_SCHEMA}`,
}

/** All of them as ONE statement: the raw query the target is measured against. */
const RAW_MODEL_SQL = `select json_build_object('database', current_database(), 'version', current_setting('server_version'), ${Object.entries(
  RAW_PARTS,
)
  .map(([kind, query]) => `'${kind}', (${query})`)
  .join(', ')})`

/** The relation list's page as a DBA would write it: matches, their total, sizes for the page only. */
function rawListSql(pattern: string | null): string {
  const p = pattern === null ? 'null' : `'${pattern.replace(/'/g, "''")}'`
  return `
with rel as (
  select c.oid, n.nspname as schema, c.relname as name, c.relkind,
         case when c.reltuples >= 0 and c.relkind in ('r', 'm', 'p', 'f') then c.reltuples end as row_estimate,
         (select count(*) from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped) as column_count,
         case when ${p}::text is null or n.nspname ilike ${p} or c.relname ilike ${p} then '{}'::name[]
              else array(select a.attname from pg_attribute a where a.attrelid = c.oid and a.attnum > 0
                         and not a.attisdropped and a.attname ilike ${p} order by a.attnum) end as matched_columns,
         (${p}::text is null or n.nspname ilike ${p} or c.relname ilike ${p}) as name_matched
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where ${REL_KINDS} and ${USER_SCHEMA}
), page as (
  select *, count(*) over () as total from rel where name_matched or cardinality(matched_columns) > 0
  order by schema, name limit 50
)
select schema, name, relkind, row_estimate, column_count, matched_columns, total,
       case when relkind in ('r', 'm', 'p') then pg_total_relation_size(oid) end as total_bytes
from page order by schema, name`
}

/** Runs statements through psql, each its own transaction; the time is the process's wall time. */
function psql(pgBinDir: string, url: string, queries: string[], out: string | null = '/dev/null') {
  const started = performance.now()
  const args = ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', ...(out ? ['-o', out] : []), ...queries.flatMap((q) => ['-c', q])]
  return new Promise<{ ms: number; stdout: string }>((resolve, reject) => {
    execFile(
      path.join(pgBinDir, 'psql'),
      args,
      { env: pgToolEnv(url), maxBuffer: 256 * 1024 * 1024 },
      (error, stdout, stderr) =>
        error ? reject(new Error(stderr.trim() || error.message)) : resolve({ ms: performance.now() - started, stdout }),
    )
  })
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now()
  await run()
  return performance.now() - started
}

const ms = (x: number) => formatMs(x, 1)
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`

/** The number of objects of each kind, in the order of RAW_PARTS. */
function countFacts(model: SchemaModel): string {
  const sum = (f: (r: RelationInfo) => number) => model.relations.reduce((n, r) => n + f(r), 0)
  return [
    model.schemas.length,
    model.relations.length,
    sum((r) => r.columns.length),
    sum((r) => (r.primaryKey ? 1 : 0) + r.constraints.length + r.foreignKeys.length),
    sum((r) => r.indexes.length),
    sum((r) => r.triggers.length),
    model.enums.length,
    model.sequences.length,
  ].join(' ')
}

/** Builds the wide schema unless the one there was built with the same options. */
async function ensureWideSchema(db: Kysely<any>, tables: number): Promise<void> {
  const { rows } = await sql<{ comment: string | null }>`
    select obj_description(oid, 'pg_namespace') as comment from pg_namespace where nspname = 'wide_0'
  `.execute(db)
  if (rows[0]?.comment === describeWide({ tables })) return console.log(`reusing the wide schema (${rows[0].comment})`)
  // One schema per statement: dropping them all at once could exceed max_locks_per_transaction.
  for (const s of wideSchemaNames()) await sql`drop schema if exists ${sql.id(s)} cascade`.execute(db)
  const started = performance.now()
  const counts = await createWideSchema(db, { tables })
  await sql`analyze`.execute(db)
  console.log(`built ${counts.tables} tables, ${counts.columns} columns in ${((performance.now() - started) / 1000).toFixed(1)} s`)
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { 'database-url': { type: 'string' }, tables: { type: 'string' }, rounds: { type: 'string' } },
    strict: true,
  })
  const tables = Number(values.tables ?? 5000)
  const rounds = Number(values.rounds ?? 5)
  if (!Number.isInteger(tables) || tables < 1 || !Number.isInteger(rounds) || rounds < 1) {
    throw new Error('usage: tsx bench/schema-model.bench.ts [--database-url URL] [--tables N] [--rounds N]')
  }
  const pgBinDir = process.env.PG_BIN_DIR ?? '/usr/lib/postgresql/15/bin'
  const bench = await openBenchDatabase('schema_bench', values['database-url'] ?? process.env.DATABASE_URL)
  const target = describeUrl(bench.url)
  console.log(`schema model benchmark on ${target.database} at ${target.host}:${target.port}, ${rounds} rounds`)
  // The dashboard's own pool size for the target database.
  const db = createDb(bench.url, { max: 4, applicationName: 'dor-bench-schema' })
  try {
    await ensureWideSchema(db, tables)
    let peakRss = process.memoryUsage().rss

    // Warm-up, and a check that both sides read the same facts (no model kept: it would count in the RSS).
    console.log(`ours: ${countFacts(await readSchemaModel(db))}`)
    const counts = `select ${Object.keys(RAW_PARTS)
      .map((kind) => `coalesce(json_array_length(j->'${kind}'), 0)`)
      .join(" || ' ' || ")} from (${RAW_MODEL_SQL}) m(j)`
    console.log(`psql: ${(await psql(pgBinDir, bench.url, [counts], null)).stdout.trim()}  (${Object.keys(RAW_PARTS).join(' ')})`)

    const cases: { name: string; ours: () => Promise<unknown>; raw: string[] }[] = [
      { name: 'schema model', ours: () => readSchemaModel(db), raw: [RAW_MODEL_SQL] },
      { name: 'relation list, first page', ours: () => listRelations(db, {}), raw: [rawListSql(null)] },
      {
        name: `relation list, q=${WIDE_MARKER_COLUMN}`,
        ours: () => listRelations(db, { q: WIDE_MARKER_COLUMN }),
        raw: [rawListSql(containsPattern(WIDE_MARKER_COLUMN))],
      },
    ]
    const results: { name: string; ours: number; psql: number }[] = []
    for (const c of cases) {
      await c.ours()
      const ours: number[] = []
      const raws: number[] = []
      for (let r = 0; r < rounds; r++) {
        ours.push(await timed(c.ours))
        peakRss = Math.max(peakRss, process.memoryUsage().rss)
        raws.push((await psql(pgBinDir, bench.url, c.raw)).ms)
      }
      results.push({ name: c.name, ours: median(ours), psql: median(raws) })
      console.log(`${c.name}: ours ${ours.map(ms).join(', ')} | psql ${raws.map(ms).join(', ')}`)
    }
    // For context, not for the target: psql's fixed cost (start, connect) and the same facts read
    // as one statement per kind in one psql session, each in its own transaction.
    const startup: number[] = []
    const parts: number[] = []
    for (let r = 0; r < rounds; r++) {
      startup.push((await psql(pgBinDir, bench.url, ['select 1'])).ms)
      parts.push((await psql(pgBinDir, bench.url, Object.values(RAW_PARTS))).ms)
    }

    console.log('\nmedians:')
    for (const r of results) {
      console.log(`  ${r.name.padEnd(34)} ours ${ms(r.ours).padStart(10)}  psql ${ms(r.psql).padStart(10)}  ratio ${(r.ours / r.psql).toFixed(2)}`)
    }
    console.log(`  psql start and connect (select 1): ${ms(median(startup))}`)
    const split = median(parts)
    console.log(`  schema model as ${Object.keys(RAW_PARTS).length} statements in one psql run: ${ms(split)} (ours / that ${(results[0].ours / split).toFixed(2)})`)
    const ratio = results[0].ours / results[0].psql
    console.log(`peak RSS: ${mb(peakRss)} (sampled), ${mb(process.resourceUsage().maxRSS * 1024)} (max RSS of the process)`)
    console.log(`target: schema model ours/psql ≤ ${TARGET}`)
    console.log(`${ratio <= TARGET ? 'PASS' : 'FAIL'}: schema model ratio ${ratio.toFixed(2)} for ${tables} tables`)
  } finally {
    await db.destroy()
    await bench.close()
  }
}

runBenchmark(main)
