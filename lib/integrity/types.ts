import type { ForeignKey } from '../schema/foreign-keys'
/**
 * A reference from child columns to parent columns: a foreign key (its fields those of
 * lib/schema/foreign-keys.ts), or a soft relation without one.
 */
export interface IntegrityRelation extends Pick<ForeignKey, 'schema' | 'table' | 'columns' | 'refSchema' | 'refTable' | 'refColumns'> {
  /** The constraint name, or for soft relations `schema.table(columns) → refSchema.refTable(refColumns)`. */
  name: string
  source: 'foreign_key' | 'soft' | 'suggested'
  /** For foreign keys: false when added NOT VALID and never validated. */
  validated: boolean | null
  /** For foreign keys declared MATCH FULL: a reference with some but not all columns NULL is a violation too. */
  matchFull?: boolean
  /** Per column pair, the key's collation [schema, name] where the referencing column's differs; else null. */
  collations?: ([string, string] | null)[]
  /** Per column pair, the key's string type [schema, name] where the referencing column's type differs; else null. */
  casts?: ([string, string] | null)[]
  /**
   * Set when that side is a plain table with inheritance children: it is read with ONLY, as a
   * foreign key covers the table itself and not its children.
   */
  childOnly?: boolean
  parentOnly?: boolean
}

/** What identifies a relation: child columns and parent columns. */
export type RelationRef = Pick<IntegrityRelation, 'schema' | 'table' | 'columns' | 'refSchema' | 'refTable' | 'refColumns'>

export function relationKey(r: RelationRef): string {
  return JSON.stringify([r.schema, r.table, r.columns, r.refSchema, r.refTable, r.refColumns])
}

export function describeRelation(r: RelationRef): string {
  return `${r.schema}.${r.table}(${r.columns.join(', ')}) → ${r.refSchema}.${r.refTable}(${r.refColumns.join(', ')})`
}
