import { type Kysely, sql } from 'kysely'
import {
  type CatalogScope,
  type ColumnRow,
  type ConstraintRow,
  type IndexRow,
  queryColumns,
  queryConstraints,
  queryIndexes,
  queryRelations,
  queryTriggers,
  type RelationRow,
  type TriggerRow,
} from './catalog-queries'
import { queryEnums, querySchemas, querySequences } from './catalog-types-queries'
import { FK_ACTIONS } from './foreign-keys'
import type {
  ColumnInfo,
  ConstraintInfo,
  EnumInfo,
  ForeignKeyInfo,
  RelationInfo,
  RelationKind,
  SchemaModel,
  SequenceInfo,
  TypeCategory,
} from './types'

const KINDS: Record<string, RelationKind> = {
  r: 'table',
  p: 'partitioned_table',
  v: 'view',
  m: 'materialized_view',
  f: 'foreign_table',
}

function typeCategory(typtype: string, typcategory: string): TypeCategory {
  if (typcategory === 'A') return 'array'
  return (
    ({ e: 'enum', d: 'domain', c: 'composite', r: 'range', m: 'multirange', p: 'pseudo' } as Record<string, TypeCategory>)[
      typtype
    ] ?? 'base'
  )
}

function toColumn(r: ColumnRow): ColumnInfo {
  const generated = r.attgenerated === 's'
  return {
    name: r.name,
    position: r.position,
    type: r.type,
    typeSchema: r.type_schema,
    typeName: r.type_name,
    typeCategory: typeCategory(r.typtype, r.typcategory),
    nullable: r.nullable,
    default: generated ? null : r.default_expr,
    identity: r.attidentity === 'a' ? 'always' : r.attidentity === 'd' ? 'by_default' : null,
    generated: generated ? r.default_expr : null,
    comment: r.comment,
  }
}

function toForeignKey(r: ConstraintRow): ForeignKeyInfo {
  return {
    name: r.name,
    schema: r.owner_schema,
    table: r.owner_table,
    columns: r.columns,
    refSchema: r.ref_schema!,
    refTable: r.ref_table!,
    refColumns: r.ref_columns ?? [],
    onDelete: FK_ACTIONS[r.on_delete ?? 'a'],
    onUpdate: FK_ACTIONS[r.on_update ?? 'a'],
    deferrable: r.deferrable,
    initiallyDeferred: r.deferred,
    validated: r.validated,
    definition: r.definition,
  }
}

function toConstraint(r: ConstraintRow): ConstraintInfo {
  const kind = ({ p: 'primary_key', u: 'unique', c: 'check', x: 'exclusion' } as const)[r.contype as 'p' | 'u' | 'c' | 'x']
  return { name: r.name, kind, columns: r.columns, definition: r.definition, validated: r.validated, deferrable: r.deferrable }
}

function groupBy<T extends { rel: number }>(rows: T[]): Map<number, T[]> {
  const map = new Map<number, T[]>()
  for (const r of rows) {
    const list = map.get(r.rel)
    if (list) list.push(r)
    else map.set(r.rel, [r])
  }
  return map
}

interface Parts {
  relations: RelationRow[]
  columns: ColumnRow[]
  constraints: ConstraintRow[]
  indexes: IndexRow[]
  triggers: TriggerRow[]
}

/**
 * Joins the per-kind rows into relations. Foreign keys of relations outside the set that point
 * into it (read for a table page's incoming side) come back separately.
 */
export function assembleRelations(parts: Parts) {
  const columns = groupBy(parts.columns)
  const constraints = groupBy(parts.constraints)
  const indexes = groupBy(parts.indexes)
  const triggers = groupBy(parts.triggers)
  const relations: RelationInfo[] = parts.relations.map((r) => {
    const cons = constraints.get(r.oid) ?? []
    const pk = cons.find((c) => c.contype === 'p')
    return {
      oid: r.oid,
      schema: r.schema,
      name: r.name,
      kind: KINDS[r.relkind],
      owner: r.owner,
      rowEstimate: r.row_estimate,
      totalBytes: r.total_bytes,
      tableBytes: r.table_bytes,
      indexBytes: r.index_bytes,
      comment: r.comment,
      partitionOf: r.parent_name ? { schema: r.parent_schema!, name: r.parent_name } : null,
      columns: (columns.get(r.oid) ?? []).map(toColumn),
      primaryKey: pk ? toConstraint(pk) : null,
      constraints: cons.filter((c) => c.contype !== 'p' && c.contype !== 'f').map(toConstraint),
      foreignKeys: cons.filter((c) => c.contype === 'f').map(toForeignKey),
      indexes: (indexes.get(r.oid) ?? []).map((i) => ({
        name: i.name,
        columns: i.columns,
        definition: i.definition,
        method: i.method,
        unique: i.unique,
        primary: i.primary,
        valid: i.valid,
        partial: i.partial,
        sizeBytes: i.size_bytes,
        scans: i.scans,
        constraint: i.constraint_name,
      })),
      triggers: (triggers.get(r.oid) ?? []).map((t) => ({
        name: t.name,
        definition: t.definition,
        enabled: t.enabled as 'O' | 'D' | 'R' | 'A',
        functionName: t.function_name,
      })),
      viewDefinition: r.view_definition,
    }
  })
  const inSet = new Set(parts.relations.map((r) => r.oid))
  const foreignKeysFromOutside = parts.constraints.filter((c) => c.contype === 'f' && !inSet.has(c.rel)).map(toForeignKey)
  return { relations, foreignKeysFromOutside }
}

export function toSequence(r: Awaited<ReturnType<typeof querySequences>>[number]): SequenceInfo {
  const range = r.max_value - r.min_value
  let usedShare: number | null = null
  if (r.last_value !== null && range > 0) {
    usedShare = r.increment > 0 ? (r.last_value - r.min_value) / range : (r.max_value - r.last_value) / range
  }
  return {
    schema: r.schema,
    name: r.name,
    dataType: r.data_type,
    startValue: r.start_value,
    minValue: r.min_value,
    maxValue: r.max_value,
    increment: r.increment,
    cycle: r.cycle,
    lastValue: r.last_value,
    usedShare,
    ownedBy: r.owner_table ? { schema: r.owner_schema!, table: r.owner_table, column: r.owner_column! } : null,
  }
}

/**
 * The whole schema of the connected database in nine set-based catalog queries, run side by side
 * on the pool. Readable by any role: what it may not see is listed in `limitations`.
 */
export async function readSchemaModel(
  db: Kysely<any>,
  opts: { includeSystem?: boolean; sizes?: boolean } = {},
): Promise<SchemaModel> {
  const includeSystem = opts.includeSystem ?? false
  const scope: CatalogScope = { all: true, includeSystem }
  const [identity, schemas, relations, columns, constraints, indexes, triggers, enums, sequences] = await Promise.all([
    sql<{ database: string; version: string }>`select current_database() as database, current_setting('server_version') as version`.execute(db),
    querySchemas(db, includeSystem),
    queryRelations(db, scope, { sizes: opts.sizes }),
    queryColumns(db, scope),
    queryConstraints(db, scope),
    queryIndexes(db, scope, { sizes: opts.sizes }),
    queryTriggers(db, scope),
    queryEnums(db, includeSystem),
    querySequences(db, includeSystem),
  ])
  const { relations: rels } = assembleRelations({ relations, columns, constraints, indexes, triggers })
  const unreadable = sequences.filter((s) => !s.readable).length
  return {
    database: identity.rows[0].database,
    serverVersion: identity.rows[0].version,
    schemas,
    relations: rels,
    enums: enums.map((e): EnumInfo => ({ schema: e.schema, name: e.name, values: e.values, usedBy: e.used_by })),
    sequences: sequences.map(toSequence),
    limitations: unreadable
      ? [`${unreadable} sequence${unreadable === 1 ? '' : 's'} not readable by this role: their current value is unknown`]
      : [],
  }
}
