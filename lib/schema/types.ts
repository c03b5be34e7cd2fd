import type { ForeignKey } from './foreign-keys'
/** The live catalog of a database, as plain data. Names are data: never assumed, never escaped here. */

export type RelationKind = 'table' | 'partitioned_table' | 'view' | 'materialized_view' | 'foreign_table'

export type TypeCategory = 'base' | 'enum' | 'domain' | 'array' | 'composite' | 'range' | 'multirange' | 'pseudo'

export interface ColumnInfo {
  name: string
  /** attnum: 1-based position in the table. */
  position: number
  /** format_type(): the type as \d prints it, with modifiers (`character varying(20)`, `userrole[]`). */
  type: string
  typeSchema: string
  typeName: string
  typeCategory: TypeCategory
  nullable: boolean
  default: string | null
  identity: 'always' | 'by_default' | null
  /** Expression of a GENERATED ALWAYS AS (…) STORED column. */
  generated: string | null
  comment: string | null
}

export type FkAction = 'NO ACTION' | 'RESTRICT' | 'CASCADE' | 'SET NULL' | 'SET DEFAULT'

/** A foreign key on the schema pages (lib/schema/foreign-keys.ts has the type and its fields). */
export type ForeignKeyInfo = Omit<ForeignKey, 'matchFull' | 'collations' | 'casts'>

export interface ConstraintInfo {
  name: string
  kind: 'primary_key' | 'unique' | 'check' | 'exclusion'
  columns: string[]
  definition: string
  validated: boolean
  deferrable: boolean
}

export interface IndexInfo {
  name: string
  /** Column names, or the expression text for expression index keys. */
  columns: string[]
  definition: string
  method: string
  unique: boolean
  primary: boolean
  /** false for an index left invalid by a failed CREATE INDEX CONCURRENTLY. */
  valid: boolean
  partial: boolean
  sizeBytes: number | null
  /** idx_scan since the statistics were last reset; null when unreadable. */
  scans: number | null
  /** The constraint this index implements (primary key, unique, exclusion), if any. */
  constraint: string | null
}

export interface TriggerInfo {
  name: string
  definition: string
  /** O (origin, enabled), D (disabled), R (replica), A (always). */
  enabled: 'O' | 'D' | 'R' | 'A'
  functionName: string
}

export interface RelationInfo {
  oid: number
  schema: string
  name: string
  kind: RelationKind
  owner: string
  /** reltuples: the planner's estimate; null before the first ANALYZE. */
  rowEstimate: number | null
  /** Table + indexes + TOAST; null when the size could not be read. */
  totalBytes: number | null
  tableBytes: number | null
  indexBytes: number | null
  comment: string | null
  /** For a partition: its parent, `schema.table`. */
  partitionOf: { schema: string; name: string } | null
  columns: ColumnInfo[]
  primaryKey: ConstraintInfo | null
  /** Unique, check and exclusion constraints. */
  constraints: ConstraintInfo[]
  /** Outgoing foreign keys. Incoming ones: `incomingForeignKeys(model, rel)`. */
  foreignKeys: ForeignKeyInfo[]
  indexes: IndexInfo[]
  triggers: TriggerInfo[]
  /** View and materialized view definition. */
  viewDefinition: string | null
}

export interface EnumInfo {
  schema: string
  name: string
  /** Labels in their sort order. */
  values: string[]
  usedBy: { schema: string; table: string; column: string }[]
}

export interface SequenceInfo {
  schema: string
  name: string
  dataType: string
  startValue: number
  minValue: number
  maxValue: number
  increment: number
  cycle: boolean
  /** null when never used or not readable by this role. */
  lastValue: number | null
  /** Share of the range used (0..1); null when unknown. */
  usedShare: number | null
  ownedBy: { schema: string; table: string; column: string } | null
}

export interface SchemaInfo {
  name: string
  owner: string
  system: boolean
}

export interface SchemaModel {
  database: string
  serverVersion: string
  schemas: SchemaInfo[]
  relations: RelationInfo[]
  enums: EnumInfo[]
  sequences: SequenceInfo[]
  /** What this role could not read (sizes, sequence values, …), said once instead of failing. */
  limitations: string[]
}
