import { type Kysely, sql } from 'kysely'
import { uniqueLowerIndexSql } from './advice-sql'
import { type Finding, finding } from './findings'
import { inPairs } from './in-pairs'
import { columnCategory, findTable, type liveColumns } from './live-columns'

/** Which roles may own which rows (kept in the state database, see role-rules.ts). */
export interface RoleOwnershipRule {
  /** Table names to look for, the first that exists with the column is used. */
  tables: string[]
  column: string
  what: string
  allowed: string[]
}

const USER_TABLES = ['user', 'users']

/** Columns of the table that alone carry a valid, non-partial UNIQUE index (or primary key). */
async function uniqueColumns(db: Kysely<any>, t: { schema: string; table: string }): Promise<Set<string>> {
  const { rows } = await sql<{ column: string }>`
    select a.attname as column
    from pg_index i join pg_class c on c.oid = i.indrelid join pg_namespace n on n.oid = c.relnamespace
    join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
    where n.nspname = ${t.schema} and c.relname = ${t.table}
      and i.indisunique and i.indisvalid and i.indpred is null and i.indnkeyatts = 1
  `.execute(db)
  return new Set(rows.map((r) => r.column))
}

/** The DoR runbook's `SELECT role, COUNT(*) FROM "user" GROUP BY role`, and what follows from it. */
export async function roleChecks(
  db: Kysely<any>,
  tables: Awaited<ReturnType<typeof liveColumns>>,
  roleLabels: string[],
  rules: RoleOwnershipRule[] = [],
): Promise<Finding[]> {
  const users = findTable(tables, USER_TABLES, ['id', 'role'])
  if (!users) return []
  const u = sql.id(users.schema, users.table)
  const where = { schema: users.schema, table: users.table, columns: ['role'] }
  const { rows: counts } = await sql<{ role: string | null; n: number }>`
    select role::text as role, count(*)::int8 as n from ${u} group by 1 order by 2 desc, 1
  `.execute(db)
  const out: Finding[] = [
    finding({
      check: 'role_counts',
      key: `role_counts:${JSON.stringify([users.schema, users.table])}`,
      title: 'Users per role',
      ...where,
      count: 0,
      detail: { counts: counts.map((c) => ({ role: c.role, users: Number(c.n) })) },
    }),
  ]
  if (roleLabels.length) {
    const present = new Set(counts.map((c) => (c.role ?? '').toUpperCase()))
    const empty = roleLabels.filter((l) => !present.has(l.toUpperCase()))
    out.push(
      finding({
        check: 'role_without_users',
        key: `role_without_users:${JSON.stringify([users.schema, users.table])}`,
        title: 'Roles with no user',
        ...where,
        count: empty.length,
        values: empty,
        advice: empty.length ? 'Nobody holds these roles: check that the work they cover has an owner.' : undefined,
      }),
    )
  }
  const userIdKind = columnCategory(tables, users, 'id')
  const tasks: (() => Promise<Finding>)[] = []
  for (const rule of rules) {
    // The owner column must be of the user id's kind: a rule written for DoR-Dash's integer ids
    // means nothing against a table of the same name keyed by uuid.
    const owner = findTable(tables, [...rule.tables], [rule.column], userIdKind ? { [rule.column]: userIdKind } : {})
    if (!owner) continue
    const base = {
      check: 'role_not_allowed' as const,
      key: `role_not_allowed:${JSON.stringify([owner.schema, owner.table, rule.column])}`,
      title: `${rule.what} by users whose role may not`,
      schema: owner.schema,
      table: owner.table,
      columns: [rule.column],
      refSchema: users.schema,
      refTable: users.table,
      refColumns: ['id'],
      detail: { allowed: rule.allowed },
    }
    tasks.push(async () => {
      try {
        const { rows } = await sql<{ role: string | null; n: number }>`
          select usr.role::text as role, count(*)::int8 as n
          from ${sql.id(owner.schema, owner.table)} as o join ${u} as usr on usr.id = ${sql.id('o', rule.column)}
          where upper(usr.role::text) <> all(${rule.allowed.map((a) => a.toUpperCase())}::text[]) or usr.role is null
          group by 1 order by 2 desc
        `.execute(db)
        const count = rows.reduce((n, r) => n + Number(r.n), 0)
        return finding({
          ...base,
          count,
          values: rows.map((r) => r.role ?? 'NULL'),
          advice: count ? `Only ${rule.allowed.join(', ')} should own these rows; check the account roles.` : undefined,
        })
      } catch (e) {
        // One rule that cannot run does not take the role counts and the other checks with it.
        return finding({ ...base, count: null, error: (e as Error).message })
      }
    })
  }
  const unique = await uniqueColumns(db, users)
  for (const column of ['email', 'username']) {
    if (!tables.get(`${users.schema}.${users.table}`)?.columns.has(column)) continue
    tasks.push(async () => {
      const lowered = sql`lower(${sql.id(column)}::text)`
      // With a UNIQUE index on the column, two rows can share lower(value) only if one of them is
      // not in lower case: grouping just those values is exact, and spares sorting every row.
      const candidates = unique.has(column)
        ? sql`${lowered} in (select ${lowered} from ${u} where ${sql.id(column)}::text collate "C" <> ${lowered})`
        : sql`${sql.id(column)} is not null`
      const { rows } = await sql<{ v: string; n: number }>`
        select ${lowered} as v, count(*)::int8 as n from ${u}
        where ${candidates} group by 1 having count(*) > 1 order by 1 limit 100
      `.execute(db)
      return finding({
        check: 'duplicate_identity',
        key: `duplicate_identity:${JSON.stringify([users.schema, users.table, column])}`,
        title: `${column} values that repeat when case is ignored`,
        schema: users.schema,
        table: users.table,
        columns: [column],
        count: rows.reduce((n, r) => n + Number(r.n), 0),
        values: rows.map((r) => r.v),
        advice: rows.length ? `Sign-in by ${column} is ambiguous for these accounts: merge or rename them, then add a unique index on lower(${column}).` : undefined,
        sql: rows.length ? uniqueLowerIndexSql(users.schema, users.table, column) : undefined,
      })
    })
  }
  // Separate scans, two at a time (see inPairs).
  out.push(...(await inPairs(tasks, (task) => task())))
  return out
}
