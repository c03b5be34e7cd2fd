import type { ReadOnlySession } from './restricted-reader'

/**
 * What a reader that is a member of pg_read_all_data can read although PUBLIC cannot: that role
 * skips every table's ACL, system catalogs included, so `select rolpassword from pg_authid` (or
 * the view pg_shadow, or a subquery, CTE or join over it) returns every role's password hash, and
 * no REVOKE stops it. User-written SQL is therefore planned first, and refused when a plan node
 * scans a system relation that PUBLIC may not SELECT (pg_authid, pg_statistic, pg_user_mapping,
 * pg_subscription, pg_largeobject, their TOAST tables, …). The set comes from the catalog, so a
 * server version that adds or opens a catalog needs no change here.
 *
 * A plan does not show everything a statement calls (a VALUES list keeps its expressions out of
 * VERBOSE output), and some built-in functions run SQL text or read whole tables of their own
 * through SPI, out of the plan's sight: query_to_xml('select rolpassword from pg_authid', …)
 * returns the hashes. Those are refused by name in the text itself, where no plan can hide them.
 */

/** Built-ins that run a query of their own (given as text, a cursor or a table name) or read large objects. */
export const SQL_RUNNING_FUNCTIONS = [
  'query_to_xml',
  'query_to_xmlschema',
  'query_to_xml_and_xmlschema',
  'cursor_to_xml',
  'cursor_to_xmlschema',
  'table_to_xml',
  'table_to_xmlschema',
  'table_to_xml_and_xmlschema',
  'schema_to_xml',
  'schema_to_xmlschema',
  'schema_to_xml_and_xmlschema',
  'database_to_xml',
  'database_to_xmlschema',
  'database_to_xml_and_xmlschema',
  'ts_stat',
  'ts_rewrite',
  // Refused by large-object ACLs already (pg_read_all_data does not cover them), unless the server
  // runs with lo_compat_privileges on.
  'lo_get',
  'loread',
] as const

const SQL_RUNNING = new RegExp(`(?<![\\w$])(${SQL_RUNNING_FUNCTIONS.join('|')})(?![\\w$])`, 'i')

/**
 * Why the text may not run, judged on the text alone, or null; `only` says what the feature is for. A name is found whether quoted,
 * qualified or followed by a comment; a U&"…" identifier could spell one with escapes, so those
 * are refused too.
 */
export function textRefusal(text: string, only: string): string | null {
  const called = SQL_RUNNING.exec(text)
  if (called) return `The query calls ${called[1].toLowerCase()}, which reads data outside the query's plan: ${only}.`
  if (/u&"/i.test(text)) return 'The query spells an identifier with U&"…" escapes: write names plainly.'
  return null
}

interface PlannedRelation {
  schema: string
  relation: string
}

/** Every relation a plan scans, from every node: InitPlans, SubPlans and CTEs are nodes too. */
export function plannedRelations(plan: unknown, into: PlannedRelation[] = []): PlannedRelation[] {
  if (Array.isArray(plan)) {
    for (const item of plan) plannedRelations(item, into)
  } else if (plan && typeof plan === 'object') {
    const node = plan as Record<string, unknown>
    if (typeof node['Relation Name'] === 'string' && typeof node['Schema'] === 'string') {
      into.push({ schema: node['Schema'], relation: node['Relation Name'] })
    }
    for (const value of Object.values(node)) if (value && typeof value === 'object') plannedRelations(value, into)
  }
  return into
}

/** Of the planned relations, the system ones PUBLIC may not SELECT, as schema.name. */
const PROTECTED_AMONG = `
  select distinct n.nspname || '.' || c.relname as name
  from unnest($1::text[], $2::text[]) as p(schema_name, relation_name)
  join pg_catalog.pg_namespace n on n.nspname = p.schema_name
  join pg_catalog.pg_class c on c.relnamespace = n.oid and c.relname = p.relation_name
  where (n.nspname in ('pg_catalog', 'information_schema') or n.nspname like 'pg\\_toast%')
    and not pg_catalog.has_table_privilege('public', c.oid, 'SELECT')
  order by 1`

/** Of the relations `plan` (EXPLAIN's JSON) scans, the system ones PUBLIC may not read, as schema.name. */
export async function protectedReadsInPlan(session: ReadOnlySession, plan: unknown): Promise<string[]> {
  const relations = plannedRelations(plan)
  if (!relations.length) return []
  const found = await session.query<{ name: string }>(PROTECTED_AMONG, [relations.map((r) => r.schema), relations.map((r) => r.relation)])
  return found.map((r) => r.name)
}

/**
 * Plans `statement` with `params` on the session (EXPLAIN does not execute it) and returns the
 * system relations it would read that PUBLIC may not, as schema.name.
 */
export async function protectedReads(session: ReadOnlySession, statement: string, params: readonly unknown[]): Promise<string[]> {
  const [explained] = await session.query<{ 'QUERY PLAN': unknown }>(`explain (verbose, format json)\n${statement}`, params)
  return protectedReadsInPlan(session, explained['QUERY PLAN'])
}

/** Why a statement reading `names` is refused, and what to use instead; `only` says what the feature is for. */
export function protectedReadsMessage(names: string[], only: string): string {
  // Views PUBLIC may read (pg_roles, pg_user, pg_stats) plan as scans of the catalogs under them:
  // a plan cannot tell their masked columns from the catalog's own, so they are refused too.
  const hint = names.includes('pg_catalog.pg_authid') ? ' Views over it (pg_roles, pg_stat_activity, information_schema’s privilege views) read it too: pg_get_userbyid(oid) gives a role’s name.' : ''
  return `The query reads ${names.join(', ')}, which PUBLIC may not read: ${only}.${hint}`
}
