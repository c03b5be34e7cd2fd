import type { Kysely } from 'kysely'
import { isSystemSchema, keyEnds, readForeignKeys } from '../schema/foreign-keys'
import { type IntegrityRelation, relationKey } from './types'

/** Every foreign key in the user schemas, validated or NOT VALID, multi-column included. */
export async function foreignKeyRelations(db: Kysely<any>): Promise<IntegrityRelation[]> {
  return (await readForeignKeys(db))
    .filter((k) => !isSystemSchema(k.schema))
    .map(({ collations, casts, ...k }) => ({
      ...keyEnds(k),
      refColumns: k.refColumns,
      validated: k.validated,
      matchFull: k.matchFull,
      source: 'foreign_key' as const,
      ...(collations.some((c) => c) ? { collations } : {}),
      ...(casts.some((c) => c) ? { casts } : {}),
    }))
    .sort(byRelation)
}

export function byRelation(a: IntegrityRelation, b: IntegrityRelation): number {
  const ka = relationKey(a)
  const kb = relationKey(b)
  return ka < kb ? -1 : ka > kb ? 1 : 0
}
