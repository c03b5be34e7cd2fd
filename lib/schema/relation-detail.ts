import { type Kysely, sql } from 'kysely'
import { assembleRelations } from './catalog'
import { queryColumns, queryConstraints, queryIndexes, queryRelations, queryTriggers } from './catalog-queries'
import type { ForeignKeyInfo, RelationInfo } from './types'

export interface RelationDetail {
  relation: RelationInfo
  /** Foreign keys of other tables (and this one, when self-referencing) that point at this one. */
  incoming: ForeignKeyInfo[]
}

export async function findRelationOid(db: Kysely<any>, schema: string, name: string): Promise<number | null> {
  const { rows } = await sql<{ oid: number }>`
    select c.oid::int8 as oid from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = ${schema} and c.relname = ${name} and c.relkind in ('r', 'p', 'v', 'm', 'f')
  `.execute(db)
  return rows[0]?.oid ?? null
}

/** One relation with everything the table page shows, by exact schema and name; null when absent. */
export async function readRelationDetail(db: Kysely<any>, schema: string, name: string): Promise<RelationDetail | null> {
  const oid = await findRelationOid(db, schema, name)
  if (oid === null) return null
  const scope = { oids: [oid] }
  const [relations, columns, constraints, indexes, triggers] = await Promise.all([
    queryRelations(db, scope),
    queryColumns(db, scope),
    queryConstraints(db, scope),
    queryIndexes(db, scope),
    queryTriggers(db, scope),
  ])
  if (relations.length === 0) return null
  const { relations: [relation], foreignKeysFromOutside } = assembleRelations({
    relations,
    columns,
    constraints,
    indexes,
    triggers,
  })
  const selfReferences = relation.foreignKeys.filter((fk) => fk.refSchema === schema && fk.refTable === name)
  return { relation, incoming: [...foreignKeysFromOutside, ...selfReferences] }
}
