import { type Kysely, sql } from 'kysely'
import { queryEnums } from '../schema/catalog-types-queries'
import { DOR_ENUMS } from './dor-enums'
import type { EnumColumnSet } from './enum-sets'
import { dropTypeSql } from './advice-sql'
import { type Finding, finding } from './findings'

/**
 * A text column whose common values are mostly labels of one enum is treated as that enum. On
 * tables under `directReadMaxRows` (by reltuples) the values are read from the table itself:
 * statistics are missing there until ANALYZE, and PostgreSQL stores n_distinct as a fraction of
 * the rows once distinct values pass 10 %, which hides the few spellings of a small user table.
 * A never-analysed table is read when its heap is under `directReadMaxBytes`.
 */
export const ENUM_LIKE = { minLabelShare: 0.6, maxDistinct: 50, directReadMaxRows: 100_000, directReadMaxBytes: 64 * 1024 * 1024 } as const

type EnumRow = Awaited<ReturnType<typeof queryEnums>>[number]

/** The DoR migrations' enums against the database: missing types, missing or extra labels, order. */
function definitionFindings(enums: EnumRow[]): Finding[] {
  const present = new Map(enums.map((e) => [`${e.schema}.${e.name}`, e]))
  // Only meaningful for a DoR database: one with at least one of its enum types.
  if (!DOR_ENUMS.some((d) => present.has(`${d.schema}.${d.name}`))) return []
  return DOR_ENUMS.map((want) => {
    const have = present.get(`${want.schema}.${want.name}`)
    const key = `enum_definition:${JSON.stringify([want.schema, want.name])}`
    if (!have) {
      return finding({
        check: 'enum_definition',
        key,
        title: `Enum ${want.name} is missing`,
        schema: want.schema,
        count: 1,
        values: want.values,
        detail: { missingType: true, expected: want.values },
        advice: 'The migrations define it but the database has no such type: the schema drifted (see Migrations › drift).',
      })
    }
    const missing = want.values.filter((v) => !have.values.includes(v))
    const extra = have.values.filter((v) => !want.values.includes(v))
    const common = have.values.filter((v) => want.values.includes(v))
    const reordered = common.join('\n') !== want.values.filter((v) => have.values.includes(v)).join('\n')
    const count = missing.length + extra.length + (reordered ? 1 : 0)
    return finding({
      check: 'enum_definition',
      key,
      title: `Enum ${want.name} against the migrations`,
      schema: want.schema,
      count,
      values: [...missing, ...extra],
      detail: { expected: want.values, actual: have.values, missing, extra, reordered },
      advice: count
        ? `The database's labels differ from the migrations' (missing: ${missing.join(', ') || 'none'}; extra: ${extra.join(', ') || 'none'}${reordered ? '; order differs' : ''}). Values the application writes may be refused ("invalid input value for enum").`
        : undefined,
    })
  })
}

function caseDuplicateFindings(enums: EnumRow[]): Finding[] {
  return enums.flatMap((e) => {
    const groups = new Map<string, string[]>()
    for (const v of e.values) groups.set(v.toLowerCase(), [...(groups.get(v.toLowerCase()) ?? []), v])
    const dups = [...groups.values()].filter((g) => g.length > 1)
    if (dups.length === 0) return []
    return [
      finding({
        check: 'enum_case_duplicates',
        key: `enum_case_duplicates:${JSON.stringify([e.schema, e.name])}`,
        title: `Enum ${e.name} has labels that differ only by case`,
        schema: e.schema,
        count: dups.length,
        values: dups.flat(),
        advice: 'Two spellings of one value split the data. Pick one, update the rows, and stop writing the other.',
      }),
    ]
  })
}

type Column = { schema: string; table: string; column: string }

/**
 * Text columns (readable by this role) of ordinary tables small enough to read their values
 * directly: under ENUM_LIKE.directReadMaxRows by reltuples, or never analysed (reltuples -1, or 0
 * before PostgreSQL 14) with a heap under ENUM_LIKE.directReadMaxBytes.
 */
async function smallTextColumns(db: Kysely<any>): Promise<{ schema: string; table: string; columns: string[] }[]> {
  const { rows } = await sql<{ schema: string; table: string; columns: string[] }>`
    select n.nspname as schema, c.relname as table, array_agg(a.attname::text order by a.attnum) as columns
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
    join pg_type t on t.oid = a.atttypid
    where c.relkind = 'r' and t.typcategory = 'S' and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
      and has_column_privilege(c.oid, a.attnum, 'SELECT')
      and case when c.reltuples > 0 then c.reltuples < ${ENUM_LIKE.directReadMaxRows}
               else pg_relation_size(c.oid) <= ${ENUM_LIKE.directReadMaxBytes} end
    group by n.nspname, c.relname
    order by 1, 2
  `.execute(db)
  return rows
}

/**
 * Up to ENUM_LIKE.maxDistinct + 1 distinct non-NULL values of each column (one more tells "too
 * many"), most frequent first, in one statement per table.
 */
async function distinctValues(db: Kysely<any>, schema: string, table: string, columns: string[]): Promise<Map<string, string[]>> {
  const parts = columns.map(
    (col, i) => sql`(select ${i}::int as col, ${sql.id(col)}::text as v from ${sql.id(schema, table)}
      where ${sql.id(col)} is not null group by 2 order by count(*) desc, 2 limit ${ENUM_LIKE.maxDistinct + 1})`,
  )
  const { rows } = await sql<{ col: number; v: string }>`${sql.join(parts, sql` union all `)}`.execute(db)
  const out = new Map<string, string[]>(columns.map((c) => [c, []]))
  for (const r of rows) out.get(columns[r.col])!.push(r.v)
  return out
}

/** Rows of a text column whose value is outside `values`, and the values off only by case. */
async function columnValueFinding(db: Kysely<any>, col: Column, set: { label: string; values: string[] }): Promise<Finding> {
  const started = Date.now()
  const { rows: off } = await sql<{ v: string; n: number }>`
    select ${sql.id(col.column)}::text as v, count(*)::int8 as n from ${sql.id(col.schema, col.table)}
    where ${sql.id(col.column)} is not null and ${sql.id(col.column)}::text <> all(${set.values}::text[])
    group by 1 order by 2 desc, 1
  `.execute(db)
  const lower = new Set(set.values.map((v) => v.toLowerCase()))
  const count = off.reduce((n, r) => n + Number(r.n), 0)
  return finding({
    check: 'enum_values',
    key: `enum_values:${JSON.stringify([col.schema, col.table, col.column])}`,
    title: `${col.table}.${col.column} used as ${set.label}`,
    schema: col.schema,
    table: col.table,
    columns: [col.column],
    count,
    values: off.map((r) => r.v),
    detail: {
      set: set.label,
      labels: set.values,
      caseOnly: off.filter((r) => lower.has(r.v.toLowerCase())).map((r) => r.v),
      perValue: Object.fromEntries(off.map((r) => [r.v, Number(r.n)])),
    },
    advice: count
      ? `Rows hold values outside ${set.label}; the application (or a cast back to an enum) refuses them. Normalize them (e.g. upper-case) first.`
      : undefined,
    durationMs: Date.now() - started,
  })
}

/**
 * Text columns used as enums: the ones declared with a value set, and the ones whose most common
 * values are mostly one enum's labels. For each, the rows outside the set and the values that
 * differ from a label only by case.
 */
export async function enumValueFindings(db: Kysely<any>, enums: EnumRow[], declared: EnumColumnSet[] = []): Promise<Finding[]> {
  const out: Finding[] = []
  const done = new Set<string>()
  for (const d of declared) {
    done.add(JSON.stringify([d.schema, d.table, d.column]))
    try {
      out.push(await columnValueFinding(db, d, { label: 'its declared set of values', values: d.values }))
    } catch (e) {
      out.push(
        finding({
          check: 'enum_values',
          key: `enum_values:${JSON.stringify([d.schema, d.table, d.column])}`,
          title: `${d.table}.${d.column} used as its declared set of values`,
          schema: d.schema,
          table: d.table,
          columns: [d.column],
          count: null,
          error: (e as Error).message,
        }),
      )
    }
  }
  if (enums.length === 0) return out
  const labels = enums.map((e) => ({ e, lower: new Set(e.values.map((v) => v.toLowerCase())) }))
  /** The enum most of these values are labels of, if any. */
  const bestEnum = (values: string[]): EnumRow | null => {
    let best: { e: EnumRow; share: number } | null = null
    if (values.length === 0) return null
    for (const { e, lower } of labels) {
      const share = values.filter((v) => lower.has(v.toLowerCase())).length / values.length
      if (share >= ENUM_LIKE.minLabelShare && (!best || share > best.share)) best = { e, share }
    }
    return best?.e ?? null
  }
  const check = async (col: Column, e: EnumRow) => {
    const key = JSON.stringify([col.schema, col.table, col.column])
    if (done.has(key)) return
    done.add(key)
    try {
      const f = await columnValueFinding(db, col, { label: `enum ${e.name}`, values: e.values })
      out.push({ ...f, detail: { ...f.detail, enum: `${e.schema}.${e.name}` } })
    } catch (err) {
      out.push(
        finding({
          check: 'enum_values',
          key: `enum_values:${key}`,
          title: `${col.table}.${col.column} used as enum ${e.name}`,
          schema: col.schema,
          table: col.table,
          columns: [col.column],
          count: null,
          error: (err as Error).message,
        }),
      )
    }
  }

  // Small or never-analysed tables: their distinct values, read from the table.
  for (const t of await smallTextColumns(db)) {
    const columns = t.columns.filter((c) => !done.has(JSON.stringify([t.schema, t.table, c])))
    if (columns.length === 0) continue
    let values: Map<string, string[]>
    try {
      values = await distinctValues(db, t.schema, t.table, columns)
    } catch {
      // Unreadable now (a lock, the timeout): statistics, below, are all there is for it.
      continue
    }
    for (const column of columns) {
      const vs = values.get(column) ?? []
      if (vs.length > ENUM_LIKE.maxDistinct) continue
      const e = bestEnum(vs)
      if (e) await check({ schema: t.schema, table: t.table, column }, e)
      // Decided from the data: statistics must not decide it again.
      done.add(JSON.stringify([t.schema, t.table, column]))
    }
  }

  // Larger tables: statistics, not scans: the most common values the planner keeps per column.
  const { rows } = await sql<{ schema: string; table: string; column: string; mcv: string[] | null }>`
    select s.schemaname as schema, s.tablename as table, s.attname as column, s.most_common_vals::text::text[] as mcv
    from pg_stats s
    join pg_namespace n on n.nspname = s.schemaname
    join pg_class c on c.relnamespace = n.oid and c.relname = s.tablename and c.relkind in ('r', 'p')
    join pg_attribute a on a.attrelid = c.oid and a.attname = s.attname
    join pg_type t on t.oid = a.atttypid
    where t.typcategory = 'S' and s.schemaname !~ '^pg_' and s.schemaname <> 'information_schema'
      and s.most_common_vals is not null
      -- An inheritance parent has statistics with and without its children: one row per column.
      and (not s.inherited or c.relkind = 'p')
      and (s.n_distinct between 1 and ${ENUM_LIKE.maxDistinct} or s.n_distinct between -0.01 and 0)
  `.execute(db)
  for (const col of rows) {
    const e = bestEnum(col.mcv ?? [])
    if (e) await check(col, e)
  }
  return out
}

export async function enumChecks(db: Kysely<any>, declared: EnumColumnSet[] = []): Promise<Finding[]> {
  const enums = await queryEnums(db, false)
  const unused = enums.filter((e) => e.used_by.length === 0)
  return [
    ...definitionFindings(enums),
    ...caseDuplicateFindings(enums),
    finding({
      check: 'unused_enum',
      key: 'unused_enum',
      title: 'Enum types no column uses',
      count: unused.length,
      values: unused.map((e) => `${e.schema}.${e.name}`),
      advice: 'Left behind when a column was turned into text. Drop the type, or turn the column back into it.',
      ...(unused.length ? { sql: unused.map((e) => dropTypeSql(e.schema, e.name)).join('\n') } : {}),
    }),
    ...(await enumValueFindings(db, enums, declared)),
  ]
}
