import { createHash } from 'node:crypto'
import type {
  ColumnInfo,
  ConstraintInfo,
  EnumInfo,
  ForeignKeyInfo,
  IndexInfo,
  RelationInfo,
  SchemaModel,
  SequenceInfo,
  TriggerInfo,
} from './types'

/*
 * A snapshot keeps what a migration defines and nothing the server changes on its own: no oids,
 * sizes, row estimates, scan counts, sequence positions or owners. Every field is picked by name
 * (never spread) so that a field added to the model later does not leak in unnoticed.
 */

export type SnapshotColumn = Pick<ColumnInfo, 'name' | 'position' | 'type' | 'nullable' | 'default' | 'identity' | 'generated' | 'comment'>
/** Primary key, unique, check and exclusion constraints; columns and deferrability are in the definition. */
export type SnapshotConstraint = Pick<ConstraintInfo, 'name' | 'kind' | 'definition' | 'validated'>
export type SnapshotForeignKey = Pick<
  ForeignKeyInfo,
  | 'name'
  | 'columns'
  | 'refSchema'
  | 'refTable'
  | 'refColumns'
  | 'onDelete'
  | 'onUpdate'
  | 'deferrable'
  | 'initiallyDeferred'
  | 'validated'
  | 'definition'
>
export type SnapshotIndex = Pick<IndexInfo, 'name' | 'definition' | 'valid' | 'constraint'>
export type SnapshotTrigger = Pick<TriggerInfo, 'name' | 'definition' | 'enabled'>
export interface SnapshotRelation extends Pick<RelationInfo, 'schema' | 'name' | 'kind' | 'comment' | 'partitionOf' | 'viewDefinition'> {
  /** Sorted by name; `position` is kept to show, never compared. */
  columns: SnapshotColumn[]
  constraints: SnapshotConstraint[]
  foreignKeys: SnapshotForeignKey[]
  indexes: SnapshotIndex[]
  triggers: SnapshotTrigger[]
}
/** `values` stay in their sort order: that order is part of the type. */
export type SnapshotEnum = Pick<EnumInfo, 'schema' | 'name' | 'values'>
export type SnapshotSequence = Pick<
  SequenceInfo,
  'schema' | 'name' | 'dataType' | 'startValue' | 'minValue' | 'maxValue' | 'increment' | 'cycle' | 'ownedBy'
>

export interface SchemaSnapshot {
  version: 1
  /** Schema names, sorted. */
  schemas: string[]
  /** Sorted by schema, then name. */
  relations: SnapshotRelation[]
  enums: SnapshotEnum[]
  sequences: SnapshotSequence[]
}

export interface SnapshotSummary {
  schemas: number
  tables: number
  views: number
  materializedViews: number
  columns: number
  constraints: number
  foreignKeys: number
  indexes: number
  triggers: number
  enums: number
  sequences: number
}

// Code-unit order, not localeCompare: the same snapshot must sort the same on every machine and locale.
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function sortBy<T>(items: T[], ...keys: ((x: T) => string)[]): T[] {
  return [...items].sort((a, b) => {
    for (const key of keys) {
      const c = compareText(key(a), key(b))
      if (c !== 0) return c
    }
    return 0
  })
}

const byName = (x: { name: string }) => x.name
const bySchema = (x: { schema: string }) => x.schema

function relationSnapshot(r: RelationInfo): SnapshotRelation {
  const constraints: SnapshotConstraint[] = [...(r.primaryKey ? [r.primaryKey] : []), ...r.constraints].map((c) => ({
    name: c.name,
    kind: c.kind,
    definition: c.definition,
    validated: c.validated,
  }))
  return {
    schema: r.schema,
    name: r.name,
    kind: r.kind,
    comment: r.comment,
    partitionOf: r.partitionOf ? { schema: r.partitionOf.schema, name: r.partitionOf.name } : null,
    viewDefinition: r.viewDefinition,
    columns: sortBy(
      r.columns.map((c) => ({
        name: c.name,
        position: c.position,
        type: c.type,
        nullable: c.nullable,
        default: c.default,
        identity: c.identity,
        generated: c.generated,
        comment: c.comment,
      })),
      byName,
    ),
    constraints: sortBy(constraints, byName, (c) => c.definition),
    foreignKeys: sortBy(
      r.foreignKeys.map((f) => ({
        name: f.name,
        columns: [...f.columns],
        refSchema: f.refSchema,
        refTable: f.refTable,
        refColumns: [...f.refColumns],
        onDelete: f.onDelete,
        onUpdate: f.onUpdate,
        deferrable: f.deferrable,
        initiallyDeferred: f.initiallyDeferred,
        validated: f.validated,
        definition: f.definition,
      })),
      byName,
      (f) => f.definition,
    ),
    indexes: sortBy(
      r.indexes.map((i) => ({ name: i.name, definition: i.definition, valid: i.valid, constraint: i.constraint })),
      byName,
      (i) => i.definition,
    ),
    triggers: sortBy(
      r.triggers.map((t) => ({ name: t.name, definition: t.definition, enabled: t.enabled })),
      byName,
      (t) => t.definition,
    ),
  }
}

export function toSnapshot(model: SchemaModel): SchemaSnapshot {
  return {
    version: 1,
    schemas: [...new Set(model.schemas.map((s) => s.name))].sort(compareText),
    relations: sortBy(model.relations.map(relationSnapshot), bySchema, byName),
    enums: sortBy(
      model.enums.map((e) => ({ schema: e.schema, name: e.name, values: [...e.values] })),
      bySchema,
      byName,
    ),
    sequences: sortBy(
      model.sequences.map((s) => ({
        schema: s.schema,
        name: s.name,
        dataType: s.dataType,
        startValue: s.startValue,
        minValue: s.minValue,
        maxValue: s.maxValue,
        increment: s.increment,
        cycle: s.cycle,
        ownedBy: s.ownedBy ? { schema: s.ownedBy.schema, table: s.ownedBy.table, column: s.ownedBy.column } : null,
      })),
      bySchema,
      byName,
    ),
  }
}

/**
 * JSON with object keys sorted at every level. A snapshot read back from jsonb has its keys in
 * jsonb's order, not ours; this text is the same either way. Array order is kept: it is meaningful.
 */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null'
  if (Array.isArray(value)) return '[' + value.map(canonicalJson).join(',') + ']'
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>
    const keys = Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort(compareText)
    return '{' + keys.map((k) => JSON.stringify(k) + ':' + canonicalJson(obj[k])).join(',') + '}'
  }
  return JSON.stringify(value)
}

/**
 * sha256 of the canonical JSON, without column positions: a column dropped and re-added by a
 * down/up rehearsal comes back with a new attnum, and that schema must still hash the same.
 * Equal fingerprints ⇔ `diffSnapshots` finds no change.
 */
export function snapshotFingerprint(s: SchemaSnapshot): string {
  const comparable = {
    ...s,
    relations: s.relations.map((r) => ({ ...r, columns: r.columns.map(({ position: _position, ...c }) => c) })),
  }
  return createHash('sha256').update(canonicalJson(comparable)).digest('hex')
}

export function summarizeSnapshot(s: SchemaSnapshot): SnapshotSummary {
  const count = (pick: (r: SnapshotRelation) => number) => s.relations.reduce((n, r) => n + pick(r), 0)
  return {
    schemas: s.schemas.length,
    tables: s.relations.filter((r) => r.kind === 'table' || r.kind === 'partitioned_table' || r.kind === 'foreign_table').length,
    views: s.relations.filter((r) => r.kind === 'view').length,
    materializedViews: s.relations.filter((r) => r.kind === 'materialized_view').length,
    columns: count((r) => r.columns.length),
    constraints: count((r) => r.constraints.length),
    foreignKeys: count((r) => r.foreignKeys.length),
    indexes: count((r) => r.indexes.length),
    triggers: count((r) => r.triggers.length),
    enums: s.enums.length,
    sequences: s.sequences.length,
  }
}
