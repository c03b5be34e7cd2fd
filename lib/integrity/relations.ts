import { type Kysely, sql } from 'kysely'
import { foreignKeyRelations } from './foreign-key-relations'
import { suggestRelations } from './relation-suggestions'
import { listSoftRelations, type SoftRelation } from './soft-relations'
import type { IntegrityRelation, RelationRef } from './types'
import { targetIdentity } from '../db/target-identity'
import type { StateDb } from '../state/state-db'

/**
 * The presets (DoR-Dash's relations) whose columns exist on both sides with comparable types: a
 * database that merely has tables of those names (a `meeting` keyed by text) is not DoR-Dash.
 */
async function presetsThatFit(db: Kysely<any>, soft: SoftRelation[]): Promise<Set<number>> {
  const presets = soft.filter((s) => s.origin === 'preset')
  if (presets.length === 0) return new Set()
  const pairs = presets.flatMap((p) =>
    p.columns.map((col, i) => ({ id: p.id, child: [p.schema, p.table, col], parent: [p.refSchema, p.refTable, p.refColumns[i]] })),
  )
  const { rows } = await sql<{ id: number; fits: boolean }>`
    with pair as (
      select * from jsonb_to_recordset(${JSON.stringify(pairs)}::jsonb) as x(id int8, child text[], parent text[])
    ),
    typ as (
      select p.id,
             (select a.atttypid from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
               where n.nspname = p.child[1] and c.relname = p.child[2] and a.attname = p.child[3] and a.attnum > 0 and not a.attisdropped) as child_type,
             (select a.atttypid from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
               where n.nspname = p.parent[1] and c.relname = p.parent[2] and a.attname = p.parent[3] and a.attnum > 0 and not a.attisdropped) as parent_type
      from pair p
    )
    select t.id, bool_and(t.child_type is not null and t.parent_type is not null and (
             t.child_type = t.parent_type
             or (select typcategory from pg_type where oid = t.child_type) = 'N' and (select typcategory from pg_type where oid = t.parent_type) = 'N'
             or (select typcategory from pg_type where oid = t.child_type) = 'S' and (select typcategory from pg_type where oid = t.parent_type) = 'S'
           )) as fits
    from typ t group by t.id
  `.execute(db)
  return new Set(rows.filter((r) => r.fits).map((r) => Number(r.id)))
}

/** Every user table, and whether it is a plain table with inheritance children. */
async function existingTables(db: Kysely<any>): Promise<Map<string, boolean>> {
  const { rows } = await sql<{ schema: string; table: string; inherited: boolean }>`
    select n.nspname as schema, c.relname as table,
           c.relkind = 'r' and exists (select 1 from pg_inherits i where i.inhparent = c.oid) as inherited
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p') and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
  `.execute(db)
  return new Map(rows.map((r) => [JSON.stringify([r.schema, r.table]), r.inherited]))
}

/**
 * What the integrity run checks: foreign keys, accepted soft relations of this target whose tables exist in this
 * database (the DoR presets mean nothing elsewhere), and open suggestions. `settingsOf` is the key
 * of the target whose soft relations apply when `target` is a copy of it (a restore drill's scratch
 * database); by default, `target`'s own.
 */
export async function relationsToCheck(target: Kysely<any>, state: StateDb, settingsOf?: string): Promise<IntegrityRelation[]> {
  const key = settingsOf ?? (await targetIdentity(target)).key
  const [fks, soft, tables] = await Promise.all([foreignKeyRelations(target), listSoftRelations(state, key), existingTables(target)])
  const exists = (schema: string, table: string) => tables.has(JSON.stringify([schema, table]))
  const present = soft.filter((s) => s.status === 'accepted' && exists(s.schema, s.table) && exists(s.refSchema, s.refTable))
  const fitting = await presetsThatFit(target, present)
  const accepted = present
    .filter((s) => s.origin !== 'preset' || fitting.has(s.id))
    .map(({ id: _i, status: _s, origin: _o, note: _n, createdBy: _c, ...rel }) => rel)
  const suggestions = await suggestRelations(target, [...fks, ...soft])
  const fkKeys = new Set(fks.map(pairsKey))
  const inherited = (schema: string, table: string) => tables.get(JSON.stringify([schema, table])) === true
  return [...fks, ...accepted.filter((r) => !fkKeys.has(pairsKey(r))), ...suggestions].map((r) => ({
    ...r,
    ...(inherited(r.schema, r.table) ? { childOnly: true } : {}),
    ...(inherited(r.refSchema, r.refTable) ? { parentOnly: true } : {}),
  }))
}

/**
 * A relation's identity as a set of column pairs: a soft relation (a, b) → (x, y) is the same
 * reference as a foreign key (b, a) → (y, x), and is checked once.
 */
function pairsKey(r: RelationRef): string {
  const pairs = r.columns.map((c, i) => [c, r.refColumns[i]]).sort((p, q) => (p[0] < q[0] ? -1 : p[0] > q[0] ? 1 : 0))
  return JSON.stringify([r.schema, r.table, r.refSchema, r.refTable, pairs])
}
