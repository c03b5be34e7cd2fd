import type { RelationKind } from '@/lib/schema/types'

export const KIND_LABEL: Record<RelationKind, string> = {
  table: 'table',
  partitioned_table: 'partitioned table',
  view: 'view',
  materialized_view: 'materialized view',
  foreign_table: 'foreign table',
}

/** Tables and partitioned tables: the kinds that have rows of their own, keys and foreign keys. */
export function isTableKind(kind: RelationKind): boolean {
  return kind === 'table' || kind === 'partitioned_table'
}
