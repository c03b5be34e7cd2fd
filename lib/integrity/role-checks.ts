import { type Kysely, sql } from 'kysely'
import { type Finding, finding } from './findings'
import { findTable, type liveColumns } from './live-columns'

/**
 * Which roles may own what (DoR-Dash: students do not create meetings or process registrations).
 * Roles compare case-insensitively, since production holds both 'FACULTY' and 'faculty'.
 */
export const ROLE_OWNERSHIP_RULES = [
  { tables: ['meeting', 'meetings'], column: 'created_by', what: 'meetings created', allowed: ['FACULTY', 'SECRETARY', 'ADMIN'] },
  {
    tables: ['registration_request', 'registrationrequest'],
    column: 'processed_by',
    what: 'registration requests processed',
    allowed: ['SECRETARY', 'ADMIN', 'FACULTY'],
  },
] as const

const USER_TABLES = ['user', 'users']

/** The DoR runbook's `SELECT role, COUNT(*) FROM "user" GROUP BY role`, and what follows from it. */
export async function roleChecks(db: Kysely<any>, tables: Awaited<ReturnType<typeof liveColumns>>, roleLabels: string[]): Promise<Finding[]> {
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
  for (const rule of ROLE_OWNERSHIP_RULES) {
    const owner = findTable(tables, [...rule.tables], [rule.column])
    if (!owner) continue
    const { rows } = await sql<{ role: string | null; n: number }>`
      select usr.role::text as role, count(*)::int8 as n
      from ${sql.id(owner.schema, owner.table)} as o join ${u} as usr on usr.id = ${sql.id('o', rule.column)}
      where upper(usr.role::text) <> all(${[...rule.allowed]}::text[]) or usr.role is null
      group by 1 order by 2 desc
    `.execute(db)
    const count = rows.reduce((n, r) => n + Number(r.n), 0)
    out.push(
      finding({
        check: 'role_not_allowed',
        key: `role_not_allowed:${JSON.stringify([owner.schema, owner.table, rule.column])}`,
        title: `${rule.what} by users whose role may not`,
        schema: owner.schema,
        table: owner.table,
        columns: [rule.column],
        refSchema: users.schema,
        refTable: users.table,
        refColumns: ['id'],
        count,
        values: rows.map((r) => r.role ?? 'NULL'),
        detail: { allowed: rule.allowed },
        advice: count ? `Only ${rule.allowed.join(', ')} should own these rows; check the account roles.` : undefined,
      }),
    )
  }
  for (const column of ['email', 'username']) {
    if (!tables.get(`${users.schema}.${users.table}`)?.columns.has(column)) continue
    const { rows } = await sql<{ v: string; n: number }>`
      select lower(${sql.id(column)}::text) as v, count(*)::int8 as n from ${u}
      where ${sql.id(column)} is not null group by 1 having count(*) > 1 order by 1 limit 100
    `.execute(db)
    out.push(
      finding({
        check: 'duplicate_identity',
        key: `duplicate_identity:${JSON.stringify([users.schema, users.table, column])}`,
        title: `${column} values that repeat when case is ignored`,
        schema: users.schema,
        table: users.table,
        columns: [column],
        count: rows.reduce((n, r) => n + Number(r.n), 0),
        values: rows.map((r) => r.v),
        advice: rows.length ? `Sign-in by ${column} is ambiguous for these accounts: merge or rename them, then add a unique index on lower(${column}).` : undefined,
      }),
    )
  }
  return out
}
